#!/usr/bin/env bash
# Draws Reverie's mark (a crescent moon and a small star on an indigo tile) as
# icons/source.png; `npx @tauri-apps/cli icon icons/source.png -o icons` turns
# it into every platform size (we keep the desktop ones: the PNGs, .icns, .ico).
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Tile: a rounded square with a soft indigo gradient.
convert -size 1024x1024 gradient:'#6e6ef0-#2b2170' "$tmp/grad.png"
convert -size 1024x1024 xc:none -fill white -draw 'roundrectangle 64,64 960,960 210,210' "$tmp/mask.png"
convert "$tmp/grad.png" "$tmp/mask.png" -compose DstIn -composite "$tmp/tile.png"
# Crescent: a disc with an offset disc cut out of it.
convert -size 1024x1024 xc:none -fill '#f5f3ff' -draw 'circle 450,560 450,270' "$tmp/disc.png"
convert -size 1024x1024 xc:none -fill black -draw 'circle 580,450 580,225' "$tmp/bite.png"
convert "$tmp/disc.png" "$tmp/bite.png" -compose DstOut -composite "$tmp/moon.png"
convert "$tmp/tile.png" "$tmp/moon.png" -compose Over -composite \
  -fill '#f5f3ff' -draw 'polygon 730,244 748,312 816,330 748,348 730,416 712,348 644,330 712,312' \
  source.png
