#!/bin/bash
# The hardening profile's own verification checks, run inside a sandbox as
# the login user (tests/integration/t-security.sh sends this script over
# ssh). Prints one "ok - ..." or "not ok - ..." line per check and exits 1
# if any check failed.
#
# Each check can fail: run as root on the host (bash verify.sh), the checks
# of capabilities, no_new_privs, seccomp, ids, mount options and network
# interfaces report "not ok". Only those that an ordinary host passes too
# (empty inheritable and ambient sets, the types of /proc and /sys, ulimit)
# still report "ok".
set -u

failures=0

check() {
	local what=$1 actual=$2 expected=$3
	if [ "$actual" = "$expected" ]; then
		echo "ok - $what"
	else
		echo "not ok - $what: expected '$expected', got '$actual'"
		failures=$((failures + 1))
	fi
}

status_field() {
	awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/status"
}

# Mount options of the mount at exactly PATH, as "fstype opt,opt,...".
mount_of() {
	awk -v path="$1" '{
		for (i = 7; $i != "-"; i++) ;
		if ($5 == path) line = $(i + 1) " " $6
	} END { print line }' /proc/self/mountinfo
}

has_options() {
	local path=$1 options
	shift
	options=",$(mount_of "$path" | cut -d' ' -f2),"
	for want in "$@"; do
		case $want in
		!*) [[ $options != *",${want#!},"* ]] || { echo "has ${want#!}"; return; } ;;
		*) [[ $options == *",$want,"* ]] || { echo "lacks $want"; return; } ;;
		esac
	done
	echo yes
}

# Capabilities: nothing for the login user; the bounding set is CHOWN
# DAC_OVERRIDE FOWNER KILL SETGID SETUID NET_BIND_SERVICE (bits 0 1 3 5 6
# 7 10 = 0x4eb).
for set in CapInh CapPrm CapEff CapAmb; do
	check "$set of the login user is empty" "$(status_field self $set)" 0000000000000000
done
check "CapBnd is the kept set" "$(status_field self CapBnd)" 00000000000004eb
check "no_new_privs is set" "$(status_field self NoNewPrivs)" 1
check "seccomp is in filter mode" "$(status_field self Seccomp)" 2
check "init's filter and the profile are loaded" "$(status_field self Seccomp_filters)" 2
check "init has no_new_privs" "$(status_field 1 NoNewPrivs)" 1
check "init has a seccomp filter" "$(status_field 1 Seccomp)" 2
check "init keeps only the bounding set" "$(status_field 1 CapEff)" 00000000000004eb

check "id" "$(id)" "uid=1000(user) gid=1000(user) groups=1000(user)"

# Mounts: read-only system, writable scratch without exec, nosuid everywhere.
check "/ is read-only" "$(has_options / ro nosuid nodev)" yes
check "/usr is read-only" "$(has_options /usr ro nosuid nodev)" yes
check "/etc is read-only" "$(has_options /etc ro nosuid nodev)" yes
check "home is writable, nosuid, exec allowed" "$(has_options /home/user rw nosuid nodev '!noexec')" yes
for dir in /tmp /var/tmp /run /var/run /dev/shm; do
	check "$dir is writable and noexec" "$(has_options $dir rw nosuid nodev noexec)" yes
done
check "/root is nosuid" "$(has_options /root rw nosuid nodev)" yes
check "/proc is its own procfs" "$(mount_of /proc | cut -d' ' -f1)" proc
check "/proc is nosuid, nodev, noexec" "$(has_options /proc nosuid nodev noexec)" yes
for dir in /proc/bus /proc/fs /proc/irq /proc/sys /proc/sysrq-trigger; do
	if [ -e "$dir" ]; then
		check "$dir is read-only" "$(has_options $dir ro)" yes
	fi
done
check "/sys is a new sysfs" "$(mount_of /sys | cut -d' ' -f1)" sysfs
check "/sys is read-only" "$(has_options /sys ro nosuid nodev noexec)" yes
check "/dev is nosuid, noexec" "$(has_options /dev nosuid noexec)" yes
check "/dev/pts is nosuid, noexec" "$(has_options /dev/pts nosuid noexec)" yes
check "every mount is nosuid" "$(awk '$6 !~ /(^|,)nosuid(,|$)/ { print $5 }' /proc/self/mountinfo)" ""

# Network: the sandbox's own namespace with loopback only.
check "ip addr lists only lo" "$(ip -o addr | awk '{ print $2 }' | sort -u | tr '\n' ' ')" "lo "
check "/sys/class/net lists only lo" "$(ls /sys/class/net | tr '\n' ' ')" "lo "

# Limits are shown for the record; the cgroup sets the real ones.
ulimit -a
check "ulimit -a runs" "$(ulimit -a > /dev/null && echo yes)" yes

[ "$failures" -eq 0 ]
