# Sourced (as root) by the scripts that run kiln as a brand-new unprivileged user: rootless-check.sh,
# fuse-snapshots-check.sh, bench/rootless-compare.sh and bench/rootless-timings.sh.
#
#   test_user_create USER HOME [range|single]   useradd with HOME (made, owned by the user); `range` (the default)
#                                               gives it a free subordinate range of 65,536 uids and gids above
#                                               every range handed out, `single` none; /dev/net/tun is opened to
#                                               users (pasta needs it; Debian makes it 0666, this machine may not)
#   test_user_remove USER                       userdel, its ranges dropped, /dev/net/tun's mode put back
test_user_tun_mode=$(stat -c %a /dev/net/tun 2>/dev/null || echo "")

test_user_create() {
  local user=$1 home=$2 mode=${3:-range} start
  useradd -M -d "$home" -s /bin/bash "$user"
  mkdir -p "$home" && chown "$user:" "$home"
  sed -i "/^$user:/d" /etc/subuid /etc/subgid 2>/dev/null || true
  if [ "$mode" = range ]; then
    start=$(cat /etc/subuid /etc/subgid 2>/dev/null | awk -F: 'BEGIN{m=100000} {e=$2+$3; if (e>m) m=e} END{print m}')
    usermod --add-subuids "$start-$((start + 65535))" --add-subgids "$start-$((start + 65535))" "$user"
  fi
  if [ -n "$test_user_tun_mode" ]; then chmod 0666 /dev/net/tun; fi
}

test_user_remove() {
  local user=$1
  pkill -KILL -u "$user" >/dev/null 2>&1 || true
  userdel "$user" >/dev/null 2>&1 || true
  sed -i "/^$user:/d" /etc/subuid /etc/subgid 2>/dev/null || true
  if [ -n "$test_user_tun_mode" ]; then chmod "$test_user_tun_mode" /dev/net/tun; fi
}
