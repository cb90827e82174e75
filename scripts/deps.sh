# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
# Sourced by demo.sh and test.sh: make sure the Debian packages a script
# needs are installed. As root the missing ones are installed with apt-get;
# otherwise the exact command is printed and the script stops, so nothing
# is ever installed behind the user's back.

# tdp_require_packages PACKAGE...
tdp_require_packages() {
	if ! command -v dpkg-query >/dev/null 2>&1; then
		echo "note: no dpkg-query (not Debian?): assuming these are" \
			"installed: $*" >&2
		return 0
	fi
	tdp_missing=""
	for tdp_pkg in "$@"; do
		if ! dpkg-query -W -f='${Status}\n' "$tdp_pkg" 2>/dev/null |
			grep -q '^install ok installed$'; then
			tdp_missing="$tdp_missing $tdp_pkg"
		fi
	done
	if [ -z "$tdp_missing" ]; then
		return 0
	fi
	if [ "$(id -u)" -eq 0 ]; then
		echo "Installing missing Debian packages:$tdp_missing"
		apt-get update
		# shellcheck disable=SC2086 # one word per package
		DEBIAN_FRONTEND=noninteractive apt-get install -y $tdp_missing
		return 0
	fi
	echo "Missing Debian packages:$tdp_missing" >&2
	echo "Install them with:" >&2
	echo "  sudo apt-get install -y$tdp_missing" >&2
	exit 1
}

# Parallel build jobs: the number of CPUs, or 2 if that is unknown.
tdp_jobs() {
	nproc 2>/dev/null || echo 2
}
