//go:build linux

// Tests of host.shell on stock nodes: the start-up files and crontabs distributions ship, which
// must not be reported, and look-alikes of them, which must.

package host

import (
	"strings"
	"testing"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/host/hosttest"
)

// The start-up files and crontabs of stock nodes, as the distributions ship them (comments cut
// short). None of them may be reported. Go's raw strings cannot hold a backquote: § stands for one.
const (
	ubuntuSkelBashrc = `# ~/.bashrc: executed by bash(1) for non-login shells.
# If not running interactively, don't do anything
case $- in
    *i*) ;;
      *) return;;
esac

# don't put duplicate lines or lines starting with space in the history.
HISTCONTROL=ignoreboth

# append to the history file, don't overwrite it
shopt -s histappend

# for setting history length see HISTSIZE and HISTFILESIZE in bash(1)
HISTSIZE=1000
HISTFILESIZE=2000

shopt -s checkwinsize
#shopt -s globstar

# make less more friendly for non-text input files, see lesspipe(1)
[ -x /usr/bin/lesspipe ] && eval "$(SHELL=/bin/sh lesspipe)"

# set variable identifying the chroot you work in (used in the prompt below)
if [ -z "${debian_chroot:-}" ] && [ -r /etc/debian_chroot ]; then
    debian_chroot=$(cat /etc/debian_chroot)
fi

# set a fancy prompt (non-color, unless we know we "want" color)
case "$TERM" in
    xterm-color|*-256color) color_prompt=yes;;
esac

#force_color_prompt=yes

if [ -n "$force_color_prompt" ]; then
    if [ -x /usr/bin/tput ] && tput setaf 1 >&/dev/null; then
	# We have color support; assume it's compliant with Ecma-48
	color_prompt=yes
    else
	color_prompt=
    fi
fi

if [ "$color_prompt" = yes ]; then
    PS1='${debian_chroot:+($debian_chroot)}\[\033[01;32m\]\u@\h\[\033[00m\]:\[\033[01;34m\]\w\[\033[00m\]\$ '
else
    PS1='${debian_chroot:+($debian_chroot)}\u@\h:\w\$ '
fi
unset color_prompt force_color_prompt

# If this is an xterm set the title to user@host:dir
case "$TERM" in
xterm*|rxvt*)
    PS1="\[\e]0;${debian_chroot:+($debian_chroot)}\u@\h: \w\a\]$PS1"
    ;;
*)
    ;;
esac

# enable color support of ls and also add handy aliases
if [ -x /usr/bin/dircolors ]; then
    test -r ~/.dircolors && eval "$(dircolors -b ~/.dircolors)" || eval "$(dircolors -b)"
    alias ls='ls --color=auto'
    #alias dir='dir --color=auto'
    #alias vdir='vdir --color=auto'

    alias grep='grep --color=auto'
    alias fgrep='fgrep --color=auto'
    alias egrep='egrep --color=auto'
fi

# colored GCC warnings and errors
#export GCC_COLORS='error=01;31:warning=01;35:note=01;36:caret=01;32:locus=01:quote=01'

# some more ls aliases
alias ll='ls -alF'
alias la='ls -A'
alias l='ls -CF'

# Add an "alert" alias for long running commands.  Use like so:
#   sleep 10; alert
alias alert='notify-send --urgency=low -i "$([ $? = 0 ] && echo terminal || echo error)" "$(history|tail -n1|sed -e '\''s/^\s*[0-9]\+\s*//;s/[;&|]\s*alert$//'\'')"'

if [ -f ~/.bash_aliases ]; then
    . ~/.bash_aliases
fi

# enable programmable completion features
if ! shopt -oq posix; then
  if [ -f /usr/share/bash-completion/bash_completion ]; then
    . /usr/share/bash-completion/bash_completion
  elif [ -f /etc/bash_completion ]; then
    . /etc/bash_completion
  fi
fi
`
	ubuntuSkelProfile = `# ~/.profile: executed by the command interpreter for login shells.
#umask 022

# if running bash
if [ -n "$BASH_VERSION" ]; then
    # include .bashrc if it exists
    if [ -f "$HOME/.bashrc" ]; then
	. "$HOME/.bashrc"
    fi
fi

# set PATH so it includes user's private bin if it exists
if [ -d "$HOME/bin" ] ; then
    PATH="$HOME/bin:$PATH"
fi

# set PATH so it includes user's private bin if it exists
if [ -d "$HOME/.local/bin" ] ; then
    PATH="$HOME/.local/bin:$PATH"
fi
`
	debianRootProfile = `# ~/.profile: executed by Bourne-compatible login shells.

if [ "$BASH" ]; then
  if [ -f ~/.bashrc ]; then
    . ~/.bashrc
  fi
fi

mesg n 2> /dev/null || true
`
	skelBashLogout = `# ~/.bash_logout: executed by bash(1) when login shell exits.

# when leaving the console clear the screen to increase privacy

if [ "$SHLVL" = 1 ]; then
    [ -x /usr/bin/clear_console ] && /usr/bin/clear_console -q
fi
`
	ubuntuBashBashrc = `# System-wide .bashrc file for interactive bash(1) shells.

# If not running interactively, don't do anything
[ -z "$PS1" ] && return

shopt -s checkwinsize

# set variable identifying the chroot you work in (used in the prompt below)
if [ -z "${debian_chroot:-}" ] && [ -r /etc/debian_chroot ]; then
    debian_chroot=$(cat /etc/debian_chroot)
fi

# set a fancy prompt (non-color, overwrite the one in /etc/profile)
# but only if not SUDOing and have SUDO_PS1 set; then assume smart user.
if ! [ -n "${SUDO_USER}" -a -n "${SUDO_PS1}" ]; then
  PS1='${debian_chroot:+($debian_chroot)}\u@\h:\w\$ '
fi

# Commented out, don't overwrite xterm -T "title" -n "icontitle" by default.
#case "$TERM" in
#xterm*|rxvt*)
#    PROMPT_COMMAND='echo -ne "\033]0;${USER}@${HOSTNAME}: ${PWD}\007"'
#    ;;
#*)
#    ;;
#esac

# sudo hint
if [ ! -e "$HOME/.sudo_as_admin_successful" ] && [ ! -e "$HOME/.hushlogin" ] ; then
    case " $(groups) " in *\ admin\ *|*\ sudo\ *)
    if [ -x /usr/bin/sudo ]; then
	cat <<-EOF
	To run a command as administrator (user "root"), use "sudo <command>".
	See "man sudo_root" for details.

	EOF
    fi
    esac
fi

# if the command-not-found package is installed, use it
if [ -x /usr/lib/command-not-found -o -x /usr/share/command-not-found/command-not-found ]; then
	function command_not_found_handle {
	        # check because c-n-f could've been removed in the meantime
                if [ -x /usr/lib/command-not-found ]; then
		   /usr/lib/command-not-found -- "$1"
                   return $?
                elif [ -x /usr/share/command-not-found/command-not-found ]; then
		   /usr/share/command-not-found/command-not-found -- "$1"
                   return $?
		else
		   printf "%s: command not found\n" "$1" >&2
		   return 127
		fi
	}
fi
`
	ubuntuProfile = `# /etc/profile: system-wide .profile file for the Bourne shell (sh(1))
# and Bourne compatible shells (bash(1), ksh(1), ash(1), ...).

if [ "${PS1-}" ]; then
  if [ "${BASH-}" ] && [ "$BASH" != "/bin/sh" ]; then
    # The file bash.bashrc already sets the default PS1.
    # PS1='\h:\w\$ '
    if [ -f /etc/bash.bashrc ]; then
      . /etc/bash.bashrc
    fi
  else
    if [ "$(id -u)" -eq 0 ]; then
      PS1='# '
    else
      PS1='$ '
    fi
  fi
fi

if [ -d /etc/profile.d ]; then
  for i in /etc/profile.d/*.sh; do
    if [ -r $i ]; then
      . $i
    fi
  done
  unset i
fi
`
	debianProfile = `# /etc/profile: system-wide .profile file for the Bourne shell (sh(1))
# and Bourne compatible shells (bash(1), ksh(1), ash(1), ...).

if [ "$(id -u)" -eq 0 ]; then
  PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
else
  PATH="/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games"
fi
export PATH
` + ubuntuProfile
	bashCompletionSh = `# shellcheck shell=sh disable=SC1091,SC2039,SC2166
# Check for interactive bash and that we haven't already been sourced.
if [ "x${BASH_VERSION-}" != x -a "x${PS1-}" != x -a "x${BASH_COMPLETION_VERSINFO-}" = x ]; then

    # Check for recent enough version of bash.
    if [ "${BASH_VERSINFO[0]}" -gt 4 ] ||
        [ "${BASH_VERSINFO[0]}" -eq 4 -a "${BASH_VERSINFO[1]}" -ge 2 ]; then
        [ -r "${XDG_CONFIG_HOME:-$HOME/.config}/bash_completion" ] &&
            . "${XDG_CONFIG_HOME:-$HOME/.config}/bash_completion"
        if shopt -q progcomp && [ -r /usr/share/bash-completion/bash_completion ]; then
            # Source completion code.
            . /usr/share/bash-completion/bash_completion
        fi
    fi

fi
`
	localeFixSh = `# Make sure the locale variables are set to valid values.
eval $(/usr/bin/locale-check C.UTF-8)
`
	appsBinPathSh = `# shellcheck shell=sh

# Expand $PATH to include the directory where snappy applications go.
snap_bin_path="/snap/bin"
if [ -n "${PATH##*${snap_bin_path}}" ] && [ -n "${PATH##*${snap_bin_path}:*}" ]; then
    export PATH="$PATH:${snap_bin_path}"
fi

# Ensure base distro defaults xdg path are set if nothing filed up some
# defaults yet.
if [ -z "$XDG_DATA_DIRS" ]; then
    export XDG_DATA_DIRS="/usr/local/share:/usr/share"
fi

snap_xdg_path="/var/lib/snapd/desktop"
if [ -n "${XDG_DATA_DIRS##*${snap_xdg_path}}" ] && [ -n "${XDG_DATA_DIRS##*${snap_xdg_path}:*}" ]; then
    export XDG_DATA_DIRS="${XDG_DATA_DIRS}:${snap_xdg_path}"
fi
`
	vteSh = `# Copyright © 2006 Shaun McCance <shaunm@gnome.org>
# Copyright © 2013 Peter De Wachter <pdewacht@gmail.com>

# Not bash or zsh?
[ -n "${BASH_VERSION:-}" -o -n "${ZSH_VERSION:-}" ] || return 0

# Not an interactive shell?
[[ $- == *i* ]] || return 0

# Not running under vte?
[ "${VTE_VERSION:-0}" -ge 3405 ] || return 0

__vte_urlencode() (
  # This is important to make sure string manipulation is handled
  # byte-by-byte.
  LC_ALL=C
  str="$1"
  while [ -n "$str" ]; do
    safe="${str%%[!a-zA-Z0-9/:_\.\-\!\'\(\)~]*}"
    printf "%s" "$safe"
    str="${str#"$safe"}"
    if [ -n "$str" ]; then
      printf "%%%02X" "'$str"
      str="${str#?}"
    fi
  done
)

# Print a warning so that anyone who's added this manually to his PS1 can adapt.
# The function will be removed in a later version.
__vte_ps1() {
  echo -n "(__vte_ps1 is obsolete)"
}

__vte_osc7 () {
  printf "\033]7;file://%s%s\033\\" "${HOSTNAME}" "$(__vte_urlencode "${PWD}")"
}

__vte_prompt_command() {
  local command=$(HISTTIMEFORMAT= history 1 | sed 's/^ *[0-9]\+ *//')
  command="${command//;/ }"
  local pwd='~'
  [ "$PWD" != "$HOME" ] && pwd=${PWD/#$HOME\//\~\/}
  pwd="${pwd//[[:cntrl:]]}"
  printf '\033]0;%s@%s:%s\033\\' "${USER}" "${HOSTNAME%%.*}" "${pwd}"
  __vte_osc7
}

case "$TERM" in
  xterm*|vte*)
    [ -n "${BASH_VERSION:-}" ] && PROMPT_COMMAND="__vte_prompt_command"
    [ -n "${ZSH_VERSION:-}" ] && precmd_functions+=(__vte_osc7)
    ;;
esac

true
`
	// vte 0.70 and later (Ubuntu 24.04): PROMPT_COMMAND may be an array.
	vteSh070 = `# Not bash or zsh?
[ -n "${BASH_VERSION:-}" -o -n "${ZSH_VERSION:-}" ] || return 0

# Not an interactive shell?
[[ $- == *i* ]] || return 0

# Not running under vte?
[ "${VTE_VERSION:-0}" -ge 3405 ] || return 0

__vte_osc7 () {
  printf "\033]7;file://%s%s\033\\" "${HOSTNAME}" "$(__vte_urlencode "${PWD}")"
}

__vte_prompt_command() {
  local pwd='~'
  [ "$PWD" != "$HOME" ] && pwd=${PWD/#$HOME\//\~\/}
  pwd="${pwd//[[:cntrl:]]}"
  printf '\033]0;%s@%s:%s\033\\' "${USER}" "${HOSTNAME%%.*}" "${pwd}"
  __vte_osc7
}

if [[ -n "${BASH_VERSION:-}" ]]; then
    if [[ "$(declare -p PROMPT_COMMAND 2>&1)" =~ "declare -a" ]]; then
	PROMPT_COMMAND+=(__vte_osc7)
    else
	PROMPT_COMMAND="__vte_prompt_command"
    fi
elif [[ -n "${ZSH_VERSION:-}" ]]; then
    precmd_functions+=(__vte_osc7)
fi

true
`
	byobuSh = `# Copyright (C) 2012 Dustin Kirkland <kirkland@byobu.org>

# Allow any user to disable byobu-launch via environment variable
# Ensure that this only runs in interactive shells
if [ "$PS1" != "" ]; then
	# Launch byobu at shell login, if configured to do so
	if [ -r "/usr/bin/byobu-launch" ] && [ "$BYOBU_DISABLE" != "1" ]; then
		if [ "$LC_BYOBU" = "0" ]; then
			true
		elif [ "$LC_BYOBU" = "1" ]; then
			. /usr/bin/byobu-launch
		elif [ -e "/etc/byobu/autolaunch" ]; then
			. /usr/bin/byobu-launch
		elif [ "$LC_TERMTYPE" = "byobu" ]; then
			. /usr/bin/byobu-launch
		elif [ "$LC_TERMTYPE" = "byobu-screen" ]; then
			export BYOBU_BACKEND=screen
			. /usr/bin/byobu-launch
		elif [ "$LC_TERMTYPE" = "byobu-tmux" ]; then
			export BYOBU_BACKEND=tmux
			. /usr/bin/byobu-launch
		fi
	fi
fi
# vi: syntax=sh ts=4 noexpandtab
`
	cloudInitWarningsSh = `#!/bin/sh
# Purpose: show user warnings on login.

cloud_init_warnings() {
    command -v local >/dev/null && local _local="local" ||
        typeset _local="typeset"
    $_local warning="" idir="/var/lib/cloud/instance" n=0
    $_local warndir="$idir/warnings"
    $_local ufile="$HOME/.cloud-warnings.skip" sfile="$warndir/.skip"
    [ -d "$warndir" ] || return 0
    [ ! -f "$ufile" ] || return 0
    [ ! -f "$sfile" ] || return 0

    for warning in "$warndir"/*; do
        [ -f "$warning" ] || continue
        cat "$warning"
        n=$((n+1))
    done
    [ $n -eq 0 ] && return 0
    echo ""
    echo "Disable the warnings above by:"
    echo "  touch $sfile"
    echo "or"
    echo "  touch $ufile"
}

cloud_init_warnings 1>&2
unset cloud_init_warnings
`
	debuginfodSh = `# $HOME/.profile* or similar files may first set $DEBUGINFOD_URLS.
if [ -z "$DEBUGINFOD_URLS" ]; then
    prefix="/usr"
    DEBUGINFOD_URLS=$(cat /dev/null "/etc/debuginfod"/*.urls 2>/dev/null | tr '\n' ' ')
    [ -n "$DEBUGINFOD_URLS" ] && export DEBUGINFOD_URLS || unset DEBUGINFOD_URLS
    unset prefix
fi
`
	gawkSh = `gawkpath_default () {
	unset AWKPATH
	export AWKPATH=§gawk 'BEGIN {print ENVIRON["AWKPATH"]}'§
}

gawkpath_prepend () {
	[ -z "$AWKPATH" ] && AWKPATH=§gawk 'BEGIN {print ENVIRON["AWKPATH"]}'§
	export AWKPATH="$*:$AWKPATH"
}

gawkpath_append () {
	[ -z "$AWKPATH" ] && AWKPATH=§gawk 'BEGIN {print ENVIRON["AWKPATH"]}'§
	export AWKPATH="$AWKPATH:$*"
}
`
	debianZshrc = `# /etc/zsh/zshrc: system-wide .zshrc file for zsh(1).
READNULLCMD=${PAGER:-/usr/bin/pager}

# An array to note missing features to ease diagnosis in case of problems.
typeset -ga debian_missing_features

if [[ -z "${DEBIAN_PREVENT_KEYBOARD_CHANGES-}" ]] &&
   [[ "$TERM" != 'emacs' ]]
then

  typeset -A key
  key=(
    BackSpace  "${terminfo[kbs]}"
    Home       "${terminfo[khome]}"
    End        "${terminfo[kend]}"
  )

  function bind2maps () {
    local i sequence widget
    local -a maps

    while [[ "$1" != "--" ]]; do
        maps+=( "$1" )
        shift
    done
    shift

    if [[ "$1" == "-s" ]]; then
        shift
        sequence="$1"
    else
        sequence="${key[$1]}"
    fi
    widget="$2"

    [[ -z "$sequence" ]] && return 1

    for i in "${maps[@]}"; do
        bindkey -M "$i" "$sequence" "$widget"
    done
  }

  bind2maps emacs             -- BackSpace   backward-delete-char
  bind2maps       viins       -- BackSpace   vi-backward-delete-char
  bind2maps emacs viins vicmd -- Home        beginning-of-line
  unfunction bind2maps

  if (( ${+terminfo[smkx]} )) && (( ${+terminfo[rmkx]} )); then
      function zle-line-init () {
          emulate -L zsh
          printf '%s' ${terminfo[smkx]}
      }
      function zle-line-finish () {
          emulate -L zsh
          printf '%s' ${terminfo[rmkx]}
      }
      zle -N zle-line-init
      zle -N zle-line-finish
  else
      for i in {s,r}mkx; do
          (( ${+terminfo[$i]} )) || debian_missing_features+=($i)
      done
      unset i
  fi

fi

zstyle ':completion:*:sudo:*' command-path /usr/local/sbin \
                                           /usr/local/bin  \
                                           /usr/sbin       \
                                           /usr/bin        \
                                           /sbin           \
                                           /bin            \
                                           /usr/X11R6/bin

(( ${+aliases[run-help]} )) && unalias run-help
autoload -Uz run-help

if [[ -z "$skip_global_compinit" ]]; then
  autoload -U compinit
  compinit
fi
`
	debianZshenv = `# /etc/zsh/zshenv: system-wide .zshenv file for zsh(1).
if [[ -z "$PATH" || "$PATH" == "/bin:/usr/bin" ]]
then
	export PATH="/usr/local/bin:/usr/bin:/bin:/usr/games"
fi
`
	debianRootBashrcStock = `# ~/.bashrc: executed by bash(1) for non-login shells.

# Note: PS1 is set in /etc/profile, and the default umask is defined
# in /etc/login.defs. You should not need this unless you want different
# defaults for root.
# PS1='${debian_chroot:+($debian_chroot)}\h:\w\$ '
# umask 022

# You may uncomment the following lines if you want §ls' to be colorized:
# export LS_OPTIONS='--color=auto'
# eval "$(dircolors)"
# alias ls='ls $LS_OPTIONS'
# alias ll='ls $LS_OPTIONS -l'
# alias l='ls $LS_OPTIONS -lA'
#
# Some more alias to avoid making mistakes:
# alias rm='rm -i'
# alias cp='cp -i'
# alias mv='mv -i'
`
	ubuntuCrontab = `# /etc/crontab: system-wide crontab
# Unlike any other crontab you don't have to run the §crontab'
# command to install the new version when you edit this file
# and files in /etc/cron.d. These files also have username fields,
# that none of the other crontabs do.

SHELL=/bin/sh
# You can also override PATH, but by default, newer versions inherit it from the environment
#PATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin

# Example of job definition:
# .---------------- minute (0 - 59)
# |  .------------- hour (0 - 23)
# |  |  .---------- day of month (1 - 31)
# |  |  |  .------- month (1 - 12) OR jan,feb,mar,apr ...
# |  |  |  |  .---- day of week (0 - 6) (Sunday=0 or 7) OR sun,mon,tue,wed,thu,fri,sat
# |  |  |  |  |
# *  *  *  *  * user-name command to be executed
17 *	* * *	root    cd / && run-parts --report /etc/cron.hourly
25 6	* * *	root	test -x /usr/sbin/anacron || ( cd / && run-parts --report /etc/cron.daily )
47 6	* * 7	root	test -x /usr/sbin/anacron || ( cd / && run-parts --report /etc/cron.weekly )
52 6	1 * *	root	test -x /usr/sbin/anacron || ( cd / && run-parts --report /etc/cron.monthly )
#
`
	debianCrontabStock = `# /etc/crontab: system-wide crontab
SHELL=/bin/sh
PATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin

# Example of job definition:
# *  *  *  *  * user-name command to be executed
17 *	* * *	root	cd / && run-parts --report /etc/cron.hourly
25 6	* * *	root	test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }
47 6	* * 7	root	test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.weekly; }
52 6	1 * *	root	test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.monthly; }
#
`
	e2scrubAllCron = `30 3 * * 0 root test -e /run/systemd/system || SERVICE_MODE=1 /usr/lib/x86_64-linux-gnu/e2fsprogs/e2scrub_all_cron
10 3 * * * root test -e /run/systemd/system || SERVICE_MODE=1 /sbin/e2scrub_all -A -r
`
	sysstatCron = `# The first element of the path is a directory where the debian-sa1
# script is located
PATH=/usr/lib/sysstat:/usr/sbin:/usr/sbin:/usr/bin:/sbin:/bin

# Activity reports every 10 minutes everyday
5-55/10 * * * * root command -v debian-sa1 > /dev/null && debian-sa1 1 1

# Additional run at 23:59 to rotate the statistics file
59 23 * * * root command -v debian-sa1 > /dev/null && debian-sa1 60 2
`
	popconCron = `SHELL=/bin/sh
PATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin
36 10 * * * root test -x /etc/cron.daily/popularity-contest && /etc/cron.daily/popularity-contest --crond
`
	anacronCron = `# /etc/cron.d/anacron: crontab entries for the anacron package

SHELL=/bin/sh

30 7-23 * * *   root	[ -x /etc/init.d/anacron ] && if [ ! -d /run/systemd/system ]; then /usr/sbin/invoke-rc.d anacron start >/dev/null; fi
`
	phpCron = `# Look for and purge old sessions every 30 minutes
09,39 *     * * *     root   [ -x /usr/lib/php/sessionclean ] && if [ ! -d /run/systemd/system ]; then /usr/lib/php/sessionclean; fi
`
	mdadmCron = `#
# cron.d/mdadm -- schedules periodic redundancy checks of MD devices
#
# by default, run at 00:57 on every Sunday, but do nothing unless the day of
# the month is less than or equal to 7. Thus, only run on the first Sunday of
# each month. crontab(5) sucks, unfortunately, in this regard; therefore this
# hack (see #380425).
57 0 * * 0 root if [ -x /usr/share/mdadm/checkarray ] && [ $(date +\%d) -le 7 ]; then /usr/share/mdadm/checkarray --cron --all --idle --quiet; fi
`
	certbotCron = `SHELL=/bin/sh
PATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin

0 */12 * * * root test -x /usr/bin/certbot -a \! -d /run/systemd/system && perl -e 'sleep int(rand(43200))' && certbot -q renew
`
)

// RHEL 9 (and 8, where they differ).
const (
	rhelBashrc = `# /etc/bashrc

# System wide functions and aliases
# Environment stuff goes in /etc/profile

# Prevent doublesourcing
if [ -z "$BASHRCSOURCED" ]; then
  BASHRCSOURCED="Y"

  # are we an interactive shell?
  if [ "$PS1" ]; then
    if [ -z "$PROMPT_COMMAND" ]; then
      declare -a PROMPT_COMMAND
      case $TERM in
      xterm*)
        if [ -e /etc/sysconfig/bash-prompt-xterm ]; then
            PROMPT_COMMAND=/etc/sysconfig/bash-prompt-xterm
        else
            PROMPT_COMMAND='printf "\033]0;%s@%s:%s\007" "${USER}" "${HOSTNAME%%.*}" "${PWD/#$HOME/\~}"'
        fi
        ;;
      screen*)
        if [ -e /etc/sysconfig/bash-prompt-screen ]; then
            PROMPT_COMMAND=/etc/sysconfig/bash-prompt-screen
        else
            PROMPT_COMMAND='printf "\033k%s@%s:%s\033\\" "${USER}" "${HOSTNAME%%.*}" "${PWD/#$HOME/\~}"'
        fi
        ;;
      *)
        [ -e /etc/sysconfig/bash-prompt-default ] && PROMPT_COMMAND=/etc/sysconfig/bash-prompt-default
        ;;
      esac
    fi
    # Turn on parallel history
    shopt -s histappend
    # Turn on checkwinsize
    shopt -s checkwinsize
    [ "$PS1" = "\\s-\\v\\\$ " ] && PS1="[\u@\h \W]\\$ "
  fi

  if ! shopt -q login_shell ; then # We're not a login shell
    # Need to redefine pathmunge, it gets undefined at the end of /etc/profile
    pathmunge () {
        case ":${PATH}:" in
            *:"$1":*)
                ;;
            *)
                if [ "$2" = "after" ] ; then
                    PATH=$PATH:$1
                else
                    PATH=$1:$PATH
                fi
        esac
    }

    # Set default umask for non-login shell only if it is set to 0
    [ §umask§ -eq 0 ] && umask 022

    SHELL=/bin/bash
    # Only display echos from profile.d scripts if we are no login shell
    # and interactive - otherwise just process them to set envvars
    for i in /etc/profile.d/*.sh; do
        if [ -r "$i" ]; then
            if [ "$PS1" ]; then
                . "$i"
            else
                . "$i" >/dev/null
            fi
        fi
    done

    unset i
    unset -f pathmunge
  fi

fi
# vim:ts=4:sw=4
`
	rhelProfile = `# /etc/profile

# System wide environment and startup programs, for login setup
# Functions and aliases go in /etc/bashrc

pathmunge () {
    case ":${PATH}:" in
        *:"$1":*)
            ;;
        *)
            if [ "$2" = "after" ] ; then
                PATH=$PATH:$1
            else
                PATH=$1:$PATH
            fi
    esac
}


if [ -x /usr/bin/id ]; then
    if [ -z "$EUID" ]; then
        # ksh workaround
        EUID=§id -u§
        UID=§id -ru§
    fi
    USER="§id -un§"
    LOGNAME=$USER
    MAIL="/var/spool/mail/$USER"
fi

# Path manipulation
if [ "$EUID" = "0" ]; then
    pathmunge /usr/sbin
    pathmunge /usr/local/sbin
else
    pathmunge /usr/local/sbin after
    pathmunge /usr/sbin after
fi

HOSTNAME=$(/usr/bin/hostnamectl --transient 2>/dev/null) || \
HOSTNAME=$(/usr/bin/hostname 2>/dev/null) || \
HOSTNAME=$(/usr/bin/uname -n)

HISTSIZE=1000
if [ "$HISTCONTROL" = "ignorespace" ] ; then
    export HISTCONTROL=ignoreboth
else
    export HISTCONTROL=ignoredups
fi

export PATH USER LOGNAME MAIL HOSTNAME HISTSIZE HISTCONTROL

if [ $UID -gt 199 ] && [ "§/usr/bin/id -gn§" = "§/usr/bin/id -un§" ]; then
    umask 002
else
    umask 022
fi

for i in /etc/profile.d/*.sh /etc/profile.d/sh.local ; do
    if [ -r "$i" ]; then
        if [ "${-#*i}" != "$-" ]; then
            . "$i"
        else
            . "$i" >/dev/null
        fi
    fi
done

unset i
unset -f pathmunge

if [ -n "${BASH_VERSION-}" ] ; then
        if [ -f /etc/bashrc ] ; then
                # Bash login shells run only /etc/profile
                # Bash non-login shells run only /etc/bashrc
                # Check for double sourcing is done in /etc/bashrc.
                . /etc/bashrc
       fi
fi
`
	rhelColorlsSh = `# color-ls initialization

# Skip all for noninteractive shells.
[ ! -t 0 ] && return

#when USER_LS_COLORS defined do not override user LS_COLORS, but use them.
if [ -z "$USER_LS_COLORS" ]; then

  alias ll='ls -l' 2>/dev/null
  alias l.='ls -d .*' 2>/dev/null

  INCLUDE=
  COLORS=

  for colors in "$HOME/.dir_colors.$TERM" "$HOME/.dircolors.$TERM" \
      "$HOME/.dir_colors" "$HOME/.dircolors"; do
    [ -e "$colors" ] && COLORS="$colors" && \
    INCLUDE="§/usr/bin/cat "$COLORS" | /usr/bin/grep '^INCLUDE' | /usr/bin/cut -d ' ' -f2-§" && \
    break
  done

  [ -z "$COLORS" ] && [ -e "/etc/DIR_COLORS.$TERM" ] && \
  COLORS="/etc/DIR_COLORS.$TERM"

  [ -z "$COLORS" ] && [ -e "/etc/DIR_COLORS.256color" ] && \
  [ "x§/usr/bin/tty -s && /usr/bin/tput colors 2>/dev/null§" = "x256" ] && \
  COLORS="/etc/DIR_COLORS.256color"

  [ -z "$COLORS" ] && [ -e "/etc/DIR_COLORS" ] && \
  COLORS="/etc/DIR_COLORS"

  # Existence of $COLORS already checked above.
  [ -n "$COLORS" ] || return

  if [ -e "$INCLUDE" ];
  then
    TMP="§/usr/bin/mktemp .colorlsXXX -q --tmpdir=/tmp§"
    [ -z "$TMP" ] && return

    /usr/bin/cat "$INCLUDE" >> $TMP
    /usr/bin/grep -v '^INCLUDE' "$COLORS" >> $TMP

    eval "§/usr/bin/dircolors --sh $TMP 2>/dev/null§"
    /usr/bin/rm -f $TMP
  else
    eval "§/usr/bin/dircolors --sh $COLORS 2>/dev/null§"
  fi

  [ -z "$LS_COLORS" ] && return
  /usr/bin/grep -qi "^COLOR.*none" $COLORS >/dev/null 2>/dev/null && return
fi

unalias ll 2>/dev/null
unalias l. 2>/dev/null
unalias ls 2>/dev/null

alias ll='ls -l --color=auto' 2>/dev/null
alias l.='ls -d .* --color=auto' 2>/dev/null
alias ls='ls --color=auto' 2>/dev/null
`
	rhelColorgrepSh = `# color-grep initialization

/usr/libexec/grepconf.sh -c || return

alias grep='grep --color=auto' 2>/dev/null
alias egrep='grep -E --color=auto' 2>/dev/null
alias fgrep='grep -F --color=auto' 2>/dev/null
`
	rhelColorzgrepSh = `/usr/libexec/grepconf.sh -c || return
alias zgrep='zgrep --color=auto' 2>/dev/null
alias zfgrep='zfgrep --color=auto' 2>/dev/null
alias zegrep='zegrep --color=auto' 2>/dev/null
`
	rhelWhich2Sh = `# shellcheck shell=sh
# Initialization script for bash, sh, mksh and ksh

which_declare="declare -f"
which_opt="-f"
which_shell="$(cat /proc/$$/comm)"

if [ "$which_shell" = "ksh" ] || [ "$which_shell" = "mksh" ] || [ "$which_shell" = "zsh" ] ; then
  which_declare="typeset -f"
  which_opt=""
fi

which ()
{
(alias; eval ${which_declare}) | /usr/bin/which --tty-only --read-alias --read-functions --show-tilde --show-dot "$@"
}

export which_declare
export ${which_opt} which
`
	rhel8Which2Sh = `# Initialization script for bash and sh

# export AFS if you are in AFS environment
alias which='(alias; declare -f) | /usr/bin/which --tty-only --read-alias --read-functions --show-tilde --show-dot'
`
	rhel7Which2Sh = `alias which='alias | /usr/bin/which --tty-only --read-alias --show-dot --show-tilde'
`
	rhelPackageKitSh = `# Copyright (C) 2008 Richard Hughes <richard@hughsie.com>

command_not_found_handle () {
	local runcnf=1
	local retval=127

	# only search for the command if we're interactive
	[[ $- == *"i"* ]] || runcnf=0

	# don't run if DBus isn't running
	[[ ! -S /run/dbus/system_bus_socket ]] && runcnf=0

	# don't run if packagekitd doesn't exist in the _libexecdir
	[[ ! -x '/usr/libexec/packagekitd' ]] && runcnf=0

	# don't run if bash command interpreter is not running
	[[ -n ${BASH_VERSION-} ]] || runcnf=0

	# don't run if the system is running in a container
	[[ -f /run/.containerenv ]] && runcnf=0

	# run the command-not-found program
	if [ $runcnf -eq 1 ]; then
		'/usr/libexec/pk-command-not-found' "$@"
		retval=$?
	elif [[ -n "${BASH_VERSION-}" ]]; then
		printf >&2 'bash: %scommand not found\n' "${1:+$1: }"
	fi

	# return success or failure
	return $retval
}

if [[ -n "${ZSH_VERSION-}" ]]; then
  command_not_found_handler () {
    command_not_found_handle "$@" && return 0
  }
fi
`
	rhelVimSh = `__vi_internal_vim_alias()
(
  # run vim if installed
  test -f /usr/bin/vim && exec /usr/bin/vim "$@"

  # run vi otherwise
  test -f /usr/bin/vi && exec /usr/bin/vi "$@"
)

if [ -n "${BASH_VERSION-}" -o -n "${KSH_VERSION-}" -o -n "${ZSH_VERSION-}" ]; then
  [ "§/usr/bin/id -u 2>/dev/null || echo 0§" -le 200 ] && return
  # for bash and zsh, only if no alias is already set
  alias vi >/dev/null 2>&1 || alias vi=__vi_internal_vim_alias
  alias view >/dev/null 2>&1 || alias view=__vi_internal_vim_alias
fi
`
	rhel8VimSh = `if [ -n "$BASH_VERSION" -o -n "$KSH_VERSION" -o -n "$ZSH_VERSION" ]; then
  [ "§/usr/bin/id -u 2>/dev/null || echo 0§" -le 200 ] && return
  # for bash and zsh, only if no alias is already set
  alias vi >/dev/null 2>&1 || alias vi=vim
fi
`
	rhelLessSh = `# less initialization script (sh)

# All less.*sh files should have the same semantics!

# In case you are curious, the test for non-emptiness is not as easy as it looks.
if [ -z "$LESSOPEN" ] && [ -x /usr/bin/lesspipe.sh ]; then
    # The '||' here is intentional, see rhbz#1254837.
    export LESSOPEN="||/usr/bin/lesspipe.sh %s"
fi
`
	rhelRootBashrc = `# .bashrc

# User specific aliases and functions

alias rm='rm -i'
alias cp='cp -i'
alias mv='mv -i'

# Source global definitions
if [ -f /etc/bashrc ]; then
	. /etc/bashrc
fi
`
	rhelRootBashProfile = `# .bash_profile

# Get the aliases and functions
if [ -f ~/.bashrc ]; then
	. ~/.bashrc
fi

# User specific environment and startup programs

PATH=$PATH:$HOME/bin

export PATH
`
	rhelSkelBashrc = `# .bashrc

# Source global definitions
if [ -f /etc/bashrc ]; then
	. /etc/bashrc
fi

# User specific environment
if ! [[ "$PATH" =~ "$HOME/.local/bin:$HOME/bin:" ]]
then
    PATH="$HOME/.local/bin:$HOME/bin:$PATH"
fi
export PATH

# Uncomment the following line if you don't like systemctl's auto-paging feature:
# export SYSTEMD_PAGER=

# User specific aliases and functions
if [ -d ~/.bashrc.d ]; then
	for rc in ~/.bashrc.d/*; do
		if [ -f "$rc" ]; then
			. "$rc"
		fi
	done
fi

unset rc
`
	rhelSkelBashProfile = `# .bash_profile

# Get the aliases and functions
if [ -f ~/.bashrc ]; then
	. ~/.bashrc
fi

# User specific environment and startup programs
`
	rhelSkelBashLogout = `# ~/.bash_logout
`
	rhelCrontab = `SHELL=/bin/bash
PATH=/sbin:/bin:/usr/sbin:/usr/bin
MAILTO=root

# For details see man 4 crontabs

# Example of job definition:
# .---------------- minute (0 - 59)
# |  .------------- hour (0 - 23)
# |  |  .---------- day of month (1 - 31)
# |  |  |  .------- month (1 - 12) OR jan,feb,mar,apr ...
# |  |  |  |  .---- day of week (0 - 6) (Sunday=0 or 7) OR sun,mon,tue,wed,thu,fri,sat
# |  |  |  |  |
# *  *  *  *  * user-name  command to be executed

`
	rhel0hourly = `# Run the hourly jobs
SHELL=/bin/bash
PATH=/sbin:/bin:/usr/sbin:/usr/bin
MAILTO=root
01 * * * * root run-parts /etc/cron.hourly
`
	rhelSysstatCron = `# Run system activity accounting tool every 10 minutes
*/10 * * * * root /usr/lib64/sa/sa1 1 1
# Generate a daily summary of process accounting at 23:53
53 23 * * * root /usr/lib64/sa/sa2 -A
`
	rhelRaidCheck = `# Run system wide raid-check once a week on Sunday at 1am by default
0 1 * * Sun root /usr/sbin/raid-check
`
)

// stockFile is one file of a stock tree.
type stockFile struct{ path, content string }

func stockNode(t *testing.T, files []stockFile) *hosttest.Tree {
	tr := hosttest.New(t)
	for _, f := range files {
		tr.File(f.path, strings.ReplaceAll(f.content, "§", "`"), 0o644)
	}
	return tr
}

func TestHostShellStockNodes(t *testing.T) {
	ubuntu := func(vte string) []stockFile {
		return []stockFile{
			{"/etc/profile", ubuntuProfile}, {"/etc/bash.bashrc", ubuntuBashBashrc},
			{"/etc/environment", "PATH=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/games:/usr/local/games:/snap/bin\"\n"},
			{"/etc/profile.d/01-locale-fix.sh", localeFixSh}, {"/etc/profile.d/apps-bin-path.sh", appsBinPathSh},
			{"/etc/profile.d/bash_completion.sh", bashCompletionSh}, {"/etc/profile.d/vte-2.91.sh", vte},
			{"/etc/profile.d/Z97-byobu.sh", byobuSh}, {"/etc/profile.d/Z99-cloudinit-warnings.sh", cloudInitWarningsSh},
			{"/etc/profile.d/debuginfod.sh", debuginfodSh}, {"/etc/profile.d/gawk.sh", gawkSh},
			{"/root/.bashrc", ubuntuSkelBashrc}, {"/root/.profile", debianRootProfile},
			{"/home/ubuntu/.bashrc", ubuntuSkelBashrc}, {"/home/ubuntu/.profile", ubuntuSkelProfile},
			{"/home/ubuntu/.bash_logout", skelBashLogout}, {"/home/ubuntu/.bash_history", "sudo -i\n"},
			{"/etc/zsh/zshrc", debianZshrc}, {"/etc/zsh/zshenv", debianZshenv},
			{"/etc/crontab", ubuntuCrontab}, {"/etc/cron.d/e2scrub_all", e2scrubAllCron},
			{"/etc/cron.d/sysstat", sysstatCron}, {"/etc/cron.d/popularity-contest", popconCron},
			{"/etc/cron.d/anacron", anacronCron}, {"/etc/cron.d/php", phpCron}, {"/etc/cron.d/mdadm", mdadmCron},
			{"/etc/cron.d/certbot", certbotCron}, {"/etc/cron.d/.placeholder", "# DO NOT EDIT OR REMOVE\n"},
		}
	}
	rhel := func(which, vim string) []stockFile {
		return []stockFile{
			{"/etc/profile", rhelProfile}, {"/etc/bashrc", rhelBashrc},
			{"/etc/profile.d/colorls.sh", rhelColorlsSh}, {"/etc/profile.d/colorgrep.sh", rhelColorgrepSh},
			{"/etc/profile.d/colorzgrep.sh", rhelColorzgrepSh}, {"/etc/profile.d/which2.sh", which},
			{"/etc/profile.d/PackageKit.sh", rhelPackageKitSh}, {"/etc/profile.d/vim.sh", vim},
			{"/etc/profile.d/less.sh", rhelLessSh}, {"/etc/profile.d/bash_completion.sh", bashCompletionSh},
			{"/etc/profile.d/vte.sh", vteSh}, {"/etc/profile.d/gawk.sh", gawkSh}, {"/etc/profile.d/debuginfod.sh", debuginfodSh},
			{"/root/.bashrc", rhelRootBashrc}, {"/root/.bash_profile", rhelRootBashProfile},
			{"/root/.bash_logout", rhelSkelBashLogout}, {"/root/.cshrc", "alias rm 'rm -i'\n"},
			{"/home/cloud-user/.bashrc", rhelSkelBashrc}, {"/home/cloud-user/.bash_profile", rhelSkelBashProfile},
			{"/etc/crontab", rhelCrontab}, {"/etc/cron.d/0hourly", rhel0hourly},
			{"/etc/cron.d/sysstat", rhelSysstatCron}, {"/etc/cron.d/raid-check", rhelRaidCheck},
		}
	}
	for name, files := range map[string][]stockFile{
		"ubuntu-22.04": ubuntu(vteSh),
		"ubuntu-24.04": ubuntu(vteSh070),
		"debian-12": {
			{"/etc/profile", debianProfile}, {"/etc/bash.bashrc", debianBashBashrc},
			{"/etc/profile.d/bash_completion.sh", bashCompletionSh}, {"/etc/profile.d/vte-2.91.sh", vteSh070},
			{"/root/.bashrc", debianRootBashrcStock}, {"/root/.profile", debianRootProfile},
			{"/home/admin/.bashrc", ubuntuSkelBashrc}, {"/home/admin/.profile", ubuntuSkelProfile},
			{"/home/admin/.bash_logout", skelBashLogout},
			{"/etc/zsh/zshrc", debianZshrc}, {"/etc/zsh/zshenv", debianZshenv},
			{"/etc/zsh/zprofile", "# /etc/zsh/zprofile: system-wide .zprofile file for zsh(1).\n"},
			{"/etc/crontab", debianCrontabStock}, {"/etc/cron.d/e2scrub_all", e2scrubAllCron},
			{"/etc/cron.d/sysstat", sysstatCron}, {"/etc/cron.d/popularity-contest", popconCron},
			{"/etc/cron.d/anacron", anacronCron},
		},
		"rhel-9": rhel(rhelWhich2Sh, rhelVimSh),
		"rhel-8": rhel(rhel8Which2Sh, rhel8VimSh),
		"rhel-7": rhel(rhel7Which2Sh, rhel8VimSh),
	} {
		t.Run(name, func(t *testing.T) {
			tr := stockNode(t, files)
			r := checktest.RunCheck(t, hostEnv(tr), "host.shell")
			for _, f := range r.Findings {
				if f.Severity > checks.StatusOK {
					t.Errorf("stock file reported: %s: %s (%v)", f.File.Path, f.Message, f.Evidence)
				}
			}
			if r.Status != checks.StatusOK || r.Summary == "" {
				t.Errorf("status %v, %q", r.Status, r.Summary)
			}
		})
	}
}

// What the stock files are allowed stays caught when it is changed into a trick.
func TestHostShellStockLookAlikes(t *testing.T) {
	tr := hosttest.New(t).
		File("/etc/profile.d/which2.sh", "alias which='(alias; declare -f) | /usr/bin/which --read-alias | grep -v kubectl'\n", 0o644).
		File("/etc/profile.d/which3.sh", "which () {\n(alias; eval ${which_declare}) | /usr/bin/which --read-alias \"$@\" > /dev/null\n}\n", 0o644).
		File("/etc/profile.d/vim.sh", "alias vi >/dev/null 2>&1 || alias vi=ed\nalias vim='vim -c \":%d\"'\n", 0o644).
		File("/etc/bashrc", "PROMPT_COMMAND=/etc/sysconfig/bash-prompt-xterm\nPROMPT_COMMAND='printf \"\\033]0;%s\\007\" > /etc/hosts'\nPROMPT_COMMAND='echo $(kubectl delete ns prod)'\nPROMPT_COMMAND=(__vte_osc7 'iptables -F')\n", 0o644).
		File("/etc/sysconfig/bash-prompt-xterm", "#!/bin/sh\niptables -F\n", 0o755).
		File("/root/.bashrc", "__vte_prompt_command() { iptables -F; }\n", 0o644)
	r := checktest.RunCheck(t, hostEnv(tr), "host.shell")
	requireFinding(t, r, tr, "/etc/profile.d/which2.sh", "alias which runs `(alias; declare -f) | /usr/bin/which --read-alias | grep -v kubectl`, not which", checks.StatusWarn)
	requireFinding(t, r, tr, "/etc/profile.d/which3.sh", "a shell function named which runs instead of the which command", checks.StatusWarn)
	requireFinding(t, r, tr, "/etc/profile.d/vim.sh", "alias vi runs `ed`, not vi", checks.StatusWarn)
	requireFinding(t, r, tr, "/etc/profile.d/vim.sh", "alias vim adds `-c \":%d\"` to every vim you type", checks.StatusWarn)
	requireFinding(t, r, tr, "/etc/bashrc", "PROMPT_COMMAND runs `/etc/sysconfig/bash-prompt-xterm` before every prompt", checks.StatusWarn)
	requireFinding(t, r, tr, "/etc/bashrc", "PROMPT_COMMAND runs `printf \"\\033]0;%s\\007\" > /etc/hosts` before every prompt, and it touches files Kubernetes needs", checks.StatusWarn)
	requireFinding(t, r, tr, "/etc/bashrc", "PROMPT_COMMAND runs `echo $(kubectl delete ns prod)` before every prompt, and it drives the cluster", checks.StatusWarn)
	f := requireFinding(t, r, tr, "/etc/bashrc", "PROMPT_COMMAND runs `iptables -F` before every prompt, and it changes the network", checks.StatusWarn)
	if f.File.Line != 4 || f.File.Column != 28 {
		t.Errorf("array element at %d:%d", f.File.Line, f.File.Column)
	}
	if f := findingOn(r, tr, "/etc/bashrc", "`__vte_osc7`"); f != nil {
		t.Errorf("vte's function reported: %s", f.Message)
	}
	requireFinding(t, r, tr, "/root/.bashrc", "a function named __vte_prompt_command, which VTE terminals' stock PROMPT_COMMAND runs", checks.StatusWarn)
}
