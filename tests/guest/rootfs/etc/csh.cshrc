# DfVm test guest: the command path DragonFly's login class gives every login
# (etc/login.conf "default": path=/sbin /bin /usr/sbin /usr/bin /usr/local/sbin /usr/local/bin ...).
# sshd hands commands to csh, which reads this first; /bin/sh -c inherits the PATH it exports.
set path = (/sbin /bin /usr/sbin /usr/bin /usr/local/sbin /usr/local/bin)
