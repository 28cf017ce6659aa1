# ~/.bashrc: executed by bash(1) for non-login shells.
export LS_OPTIONS='--color=auto'
eval "$(dircolors)"
alias ls='ls $LS_OPTIONS'
alias ll='ls $LS_OPTIONS -l'
alias k=kubectl
export KUBECONFIG=/etc/kubernetes/admin.conf
source <(kubectl completion bash)
complete -o default -F __start_kubectl k
