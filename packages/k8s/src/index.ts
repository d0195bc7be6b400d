// The public API of @ecr-refresh/k8s.
export {};
