// The public API of @ecr-refresh/rancher1.
export {};
