#!/bin/sh
# The blog post's CronJob script (shared/reference/seed-post.pt.md), as a reference for
# bench/peers.ts: run once per namespace given, one after the other, each as the post's one-namespace
# job would run in its own fresh pod (a new HOME, so kubectl's discovery cache starts empty).
# Adapted only to reach the bench's peers: `--endpoint-url $ECR_ENDPOINT` for moto, `--namespace`
# for the namespace a pod would run in, KUBECONFIG for the test API server. The post patches the
# ServiceAccount named like the namespace (`serviceaccount ${NAMESPACE}`), which only works for
# `default`; here it is `default` in every namespace, as the post meant.
#   blog-post-job.sh NAMESPACE...   (env: AWS_ACCOUNT_NUMBER AWS_DEFAULT_REGION EMAIL ECR_ENDPOINT KUBECONFIG + AWS keys)
set -e
for NAMESPACE in "$@"; do
  HOME=$(mktemp -d)
  export HOME
  SECRET_NAME=ecr-${NAMESPACE}
  DOCKER_SERVER="https://${AWS_ACCOUNT_NUMBER}.dkr.ecr.${AWS_DEFAULT_REGION}.amazonaws.com"
  TOKEN=`aws ecr get-login --no-include-email --no-verify-ssl --endpoint-url "${ECR_ENDPOINT}" --region ${AWS_DEFAULT_REGION} --registry-ids ${AWS_ACCOUNT_NUMBER} | cut -d' ' -f6`
  [ -n "$TOKEN" ] || { echo "aws ecr get-login gave no token" >&2; exit 1; }
  echo "ENV variables setup done."
  echo " ==> Removendo registro"
  kubectl --namespace "$NAMESPACE" delete secret --ignore-not-found ${SECRET_NAME}
  echo " ==> Recriando registro"
  kubectl --namespace "$NAMESPACE" create secret docker-registry ${SECRET_NAME} --docker-server=${DOCKER_SERVER} --docker-username="AWS" --docker-password="${TOKEN}" --docker-email="${EMAIL}"
  echo " ==> Recuperando eventos do kubernetes"
  kubectl --namespace "$NAMESPACE" get events
  echo "Secret created by name. ${SECRET_NAME}"
  echo " ==> Configurando que o registro padrao deve ser o ECR"
  kubectl --namespace "$NAMESPACE" patch serviceaccount default -p '{"imagePullSecrets":[{"name":"'${SECRET_NAME}'"}]}'
  echo "All done."
  rm -rf "$HOME"
done
