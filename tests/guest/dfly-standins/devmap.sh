# DfVm test guest: DragonFly device names <-> the Linux guest's block devices, for the
# stand-ins in this folder (sourced). DragonFly's devfs names (sys/kern/subr_diskslice.c,
# dsname): disk vbd0 (virtio-blk, sys/dev/virtual/virtio/block), da0 (SCSI), cd0 (ATAPI via
# CAM); slice s1 (the first MBR partition); label partition a..p inside it.
# The imitation: vbdN -> vd<letter N>, daN -> sd<letter N>, cdN -> srN, slice sM -> Linux
# partition M, label partitions -> the MBR entries disklabel's stand-in wrote (recorded in
# /run/dfly-standins/<slice>.label as "letter entry" lines).
# DragonFly's disks are character devices: dfly_devfs makes a character node under each
# DragonFly name (a null device: the stand-ins map the name and never open it).

DFLY_STATE=/run/dfly-standins

dfly_letter() { # N -> a, b, ...
	echo abcdefghijklmnopqrstuvwxyz | cut -c$(($1 + 1))
}

dfly_index() { # a, b, ... -> N
	awk -v c="$1" 'BEGIN { print index("abcdefghijklmnopqrstuvwxyz", c) - 1 }'
}

# dfly_linux_dev NAME-or-/dev/NAME -> /dev/<linux device>, or fails
dfly_linux_dev() {
	n=${1#/dev/}
	case "$n" in
	vbd[0-9]*) pre=vd; rest=${n#vbd} ;;
	da[0-9]*) pre=sd; rest=${n#da} ;;
	cd[0-9]*)
		[ -b "/dev/sr${n#cd}" ] || return 1
		echo "/dev/sr${n#cd}"
		return 0
		;;
	*) return 1 ;;
	esac
	unit=${rest%%[!0-9]*}
	rest=${rest#"$unit"}
	disk=$pre$(dfly_letter "$unit")
	case "$rest" in
	'') dev=/dev/$disk ;;
	s[1-4]) dev=/dev/$disk${rest#s} ;;
	s[1-4][a-p])
		slice=${rest%?}
		part=${rest#"$slice"}
		entry=$(awk -v p="$part" '$1 == p { print $2 }' "$DFLY_STATE/${n%?}.label" 2>/dev/null)
		[ -n "$entry" ] || return 1
		dev=/dev/$disk$entry
		;;
	*) return 1 ;;
	esac
	[ -b "$dev" ] || return 1
	echo "$dev"
}

# dfly_devfs: character nodes for every DragonFly name the Linux devices stand for.
dfly_devfs() {
	mkdir -p "$DFLY_STATE"
	for b in /sys/class/block/*; do
		[ -e "$b" ] || continue
		l=${b##*/}
		case "$l" in
		sr[0-9]*) d=cd${l#sr} ;;
		vd[a-z] | vd[a-z][1-4]) d=vbd$(dfly_index "$(echo "$l" | cut -c3)")$(echo "$l" | cut -c4- | sed 's/^\([1-4]\)$/s\1/') ;;
		sd[a-z] | sd[a-z][1-4]) d=da$(dfly_index "$(echo "$l" | cut -c3)")$(echo "$l" | cut -c4- | sed 's/^\([1-4]\)$/s\1/') ;;
		*) continue ;;
		esac
		# a Linux partition that stands for a label partition is no slice
		case "$d" in
		*s[1-4])
			if awk -v e="${d##*s}" '$2 == e { f = 1 } END { exit !f }' "$DFLY_STATE/${d%s[1-4]}"s[1-4].label 2>/dev/null; then
				continue
			fi
			;;
		esac
		[ -c "/dev/$d" ] || mknod -m 0640 "/dev/$d" c 1 3
	done
	for f in "$DFLY_STATE"/*.label; do
		[ -f "$f" ] || continue
		s=${f##*/}
		s=${s%.label}
		while read -r p _; do
			[ -c "/dev/$s$p" ] || mknod -m 0640 "/dev/$s$p" c 1 3
		done <"$f"
	done
}

# dfly_size_sectors /dev/<linux dev> -> 512-byte sectors
dfly_size_sectors() {
	cat "/sys/class/block/${1#/dev/}/size"
}
