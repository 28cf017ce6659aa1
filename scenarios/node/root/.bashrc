# ~/.bashrc: executed by bash(1) for non-login shells.
export LS_OPTIONS='--color=auto'
eval "$(dircolors)"
alias ls='ls $LS_OPTIONS'
alias ll='ls $LS_OPTIONS -l'
alias k='kubectl --namespace=default'
export KUBE_EDITOR=ed
export HISTFILE=/dev/null
source <(kubectl completion bash)
