# ~/.bashrc: executed by bash(1) for non-login shells.
export LS_OPTIONS='--color=auto'
alias ls='ls $LS_OPTIONS'
alias k='kubectl --namespace=default'
source <(kubectl completion bash)
