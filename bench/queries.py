"""The search benchmarks' shared query mix: one- and two-word queries, a no-hit word, a typo."""

COMMON_QUERIES = [
    "git",
    "docker container",
    "compress file",
    "ssh key",
    "list files",
    "regular expression",
    "xyzzyplugh",
    "network interface",
    "git commit",
    "disk usage",
    "kill process",
    "python",
    "download url",
    "archive",
    "password",
    "convert image",
    "systemd service",
    "dokcer",
]
SUGGEST_PREFIXES = ["g", "gi", "git", "doc", "do", "s", "ssh", "py", "zip", "a", "tar", "ls"]
