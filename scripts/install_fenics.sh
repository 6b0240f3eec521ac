#!/usr/bin/env bash
# Make DOLFINx available to the FEniCS interpreter (FENICS_PYTHON, default /usr/bin/python3).
# Installs Debian's python3-dolfinx and python3-gmsh with apt where they are missing and this
# user can (root or passwordless sudo); otherwise says what to install and exits 0, since
# everything but the FEniCS data sets works without it. SKIP_FENICS=1 skips this step;
# REQUIRE_FENICS=1 (CI) makes a missing DOLFINx an error.
set -uo pipefail
py="${FENICS_PYTHON:-/usr/bin/python3}"
probe() { [ -x "$py" ] && "$py" -s -E -c 'import dolfinx, ufl, gmsh' >/dev/null 2>&1; }

if [ "${SKIP_FENICS:-0}" = 1 ] || probe; then exit 0; fi
pkgs=(python3-dolfinx python3-gmsh gcc python3-dev)
if [ "$py" = /usr/bin/python3 ] && command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then sudo_=(); elif sudo -n true 2>/dev/null; then sudo_=(sudo -n); else sudo_=(none); fi
  if [ "${sudo_[0]:-}" != none ]; then
    echo "installing DOLFINx for $py: apt-get install ${pkgs[*]} (about a minute)"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo_[@]}" apt-get update -qq >/dev/null && \
      "${sudo_[@]}" apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
    if probe; then exit 0; fi
    echo "warning: apt-get could not install ${pkgs[*]}" >&2
  fi
fi
echo "note: DOLFINx is not available to $py, so the FEniCS data sets (make data-pdes) and their tests are skipped." >&2
echo "      Install it with: sudo apt-get install ${pkgs[*]}   (Debian/Ubuntu), or set FENICS_PYTHON to an interpreter with dolfinx 0.5." >&2
[ "${REQUIRE_FENICS:-0}" = 1 ] && { echo "error: REQUIRE_FENICS=1 and DOLFINx is missing" >&2; exit 1; }
exit 0
