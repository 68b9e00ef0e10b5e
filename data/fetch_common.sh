# shellcheck shell=bash
# Shared by the fetch_*.sh scripts (sourced, not run): download a file and check its SHA-256.
# Needs curl or wget, and sha256sum (coreutils).

# fetch DEST SHA256 URL...: downloads the first URL that yields a file with the given SHA-256 to
# DEST (via DEST.part, so an interrupted download never looks complete). A DEST that already
# exists with the right checksum is kept.
fetch() {
  local dest="$1" sum="$2"
  shift 2
  if [ -f "$dest" ] && echo "$sum  $dest" | sha256sum --check --status; then
    echo "ok        $dest (already present)"
    return 0
  fi
  local url
  for url in "$@"; do
    echo "download  $url"
    rm -f "$dest.part"
    if command -v curl >/dev/null 2>&1; then
      curl --fail --location --silent --show-error --retry 3 --output "$dest.part" "$url" || continue
    elif command -v wget >/dev/null 2>&1; then
      wget --quiet --tries=3 --output-document="$dest.part" "$url" || continue
    else
      echo "error: neither curl nor wget is installed" >&2
      return 1
    fi
    if echo "$sum  $dest.part" | sha256sum --check --status; then
      mv "$dest.part" "$dest"
      echo "ok        $dest (sha256 $sum)"
      return 0
    fi
    echo "warning: $url does not have sha256 $sum (got $(sha256sum "$dest.part" | cut -d' ' -f1)); discarded" >&2
    rm -f "$dest.part"
  done
  rm -f "$dest.part"
  echo "error: could not fetch $(basename "$dest") with the expected checksum from any source" >&2
  return 1
}
