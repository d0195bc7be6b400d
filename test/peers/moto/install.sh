#!/usr/bin/env bash
# Installs moto's server (the AWS ECR/IAM/STS peer) from PyPI when python3 cannot import it.
set -euo pipefail
if python3 -c 'import moto.server' 2>/dev/null; then
  echo "[moto-install] already installed: moto $(python3 -c 'import moto; print(moto.__version__)')" >&2
  exit 0
fi
echo "[moto-install] python3 -m pip install 'moto[server]'" >&2
# A distribution's own python3 refuses pip installs (PEP 668); these machines are throw-away.
python3 -m pip install --quiet 'moto[server]' >&2 \
  || python3 -m pip install --quiet --break-system-packages 'moto[server]' >&2
echo "[moto-install] installed: moto $(python3 -c 'import moto; print(moto.__version__)')" >&2
