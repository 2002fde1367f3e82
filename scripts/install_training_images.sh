#!/usr/bin/env bash
# Install the real photographs (and short real clips) that the synthetic training data is built from.
# Idempotent: packages already installed are left alone, and nothing is fetched when all are present.
#
#   gnome-backgrounds, mate-backgrounds, plasma-workspace-wallpapers, desktop-base
#       -> photographs under /usr/share/backgrounds, /usr/share/wallpapers, /usr/share/desktop-base
#   opencv-doc
#       -> real video clips under /usr/share/doc/opencv-doc/examples/data (vtest.avi, tree.avi, Megamind.avi)
#
# Debian/Ubuntu only (apt). Runs apt-get through sudo when not root.
set -euo pipefail

PACKAGES=(gnome-backgrounds mate-backgrounds plasma-workspace-wallpapers desktop-base opencv-doc)

if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: apt-get not found; install the packages ${PACKAGES[*]} with your system's package manager," >&2
  echo "       or point the trainer's --images option at any folder of photographs" >&2
  exit 2
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
  fi
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "all of ${PACKAGES[*]} are installed"
fi

count=0
for dir in /usr/share/backgrounds /usr/share/wallpapers /usr/share/desktop-base; do
  if [ -d "$dir" ]; then
    n=$(find -L "$dir" -type f \( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' -o -iname '*.webp' \) | wc -l)
    count=$((count + n))
  fi
done
echo "$count image files under /usr/share/{backgrounds,wallpapers,desktop-base}"
echo "(the loader keeps the textured ones, one copy per picture; see tracker/training/data/synthetic.py)"
