"""Static completion scripts for bash, zsh and fish, generated from the command tree.

`build_tree` walks the click command behind the app (whatever commands exist
today) into a small model: commands, their options (every name, whether it takes
a value) and arguments, and for each value slot what completes it. `render`
bakes that model into a script for one shell. Pressing TAB then runs only shell
code: commands, flags and fixed values (statuses, formats, expand values, field
names, shells, setting keys) are in the script; profile names and recent job IDs
come from the plain-text files ``profiles`` and ``job_ids`` in lx's cache dir,
which the script locates the way ``settings.cache_dir`` does.

The output is deterministic (commands and options in the order of ``--help``,
fixed values in the order the code declares them), so the files checked in under
``completions/`` can be compared byte for byte with what the code generates.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from llamaextract_cli import choices

SHELLS = choices.SHELLS

# Value kinds (the shell side dispatches on these letters).
WORDS = "w"  # fixed words
IWORDS = "i"  # fixed words, matched case-insensitively
LIST = "l"  # fixed words, comma-separated (id,status,...)
PROFILES = "p"  # `sandbox` + <cache_dir>/profiles
JOB_IDS = "j"  # <cache_dir>/job_ids
FILES = "f"  # file names
BY_PREVIOUS = "s"  # depends on the previous argument (config set KEY VALUE)

JOB_ID_COMMANDS = frozenset(
    {("jobs", "get"), ("jobs", "result"), ("jobs", "wait"), ("jobs", "cancel"), ("jobs", "delete")}
)
_FILE_METAVARS = frozenset({"FILE", "PATH", "DIR", "DIRECTORY"})
_SAFE_WORD = re.compile(r"[A-Za-z0-9_.:/@+%-]+")


@dataclass(frozen=True)
class Values:
    """What completes one value slot."""

    kind: str
    words: tuple[str, ...] = ()
    by_previous: tuple[tuple[str, Values], ...] = ()  # for BY_PREVIOUS: (previous arg, values)

    def __post_init__(self) -> None:
        for word in self.words:
            _check_word(word)


def _check_word(word: str) -> None:
    """Refuse a name or value the scripts could not bake as a plain word."""
    if not _SAFE_WORD.fullmatch(word):
        raise ValueError(f"completion word {word!r} has characters the scripts cannot bake")


@dataclass(frozen=True)
class Option:
    names: tuple[str, ...]
    help: str
    takes_value: bool
    values: Values | None = None


@dataclass(frozen=True)
class Argument:
    name: str
    variadic: bool
    values: Values | None = None


@dataclass
class Command:
    path: tuple[str, ...]
    help: str
    options: list[Option] = field(default_factory=list)
    arguments: list[Argument] = field(default_factory=list)
    subcommands: list[Command] = field(default_factory=list)

    @property
    def key(self) -> str:
        return " ".join(self.path)

    def walk(self) -> list[Command]:
        out = [self]
        for sub in self.subcommands:
            out.extend(sub.walk())
        return out

    def option_names(self) -> list[str]:
        return [n for o in self.options for n in o.names]

    def value_option_names(self) -> list[str]:
        return [n for o in self.options if o.takes_value for n in o.names]


# --- the model, from the click tree -------------------------------------------------


def build_tree(root: Any) -> Command:
    """The model of the click command tree `root` (the face hands in the app's)."""
    from typer import _click

    settings = {k: v for k, v in (root.context_settings or {}).items() if k != "obj"}
    ctx = _click.Context(root, info_name="lx", **settings)
    tree = _command(root, ctx, ())
    # Global options work after any command too (cli.global_options): offer them there,
    # after the command's own, unless the command has an option of the same name.
    shared = [o for o in tree.options if not {"--help", "--version"} & set(o.names)]
    for node in tree.walk()[1:]:
        own = set(node.option_names())
        node.options += [o for o in shared if not own & set(o.names)]
    return tree


def _command(cmd: Any, ctx: Any, path: tuple[str, ...]) -> Command:
    from typer import _click

    for name in path[-1:]:
        _check_word(name)
    node = Command(path=path, help=_short(cmd.get_short_help_str(limit=300)))
    for param in cmd.get_params(ctx):
        if getattr(param, "hidden", False):
            continue
        if param.param_type_name == "option":
            node.options.append(_option(path, param))
        elif param.param_type_name == "argument":
            node.arguments.append(_argument(path, param))
    if hasattr(cmd, "list_commands"):  # a group
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is None or getattr(sub, "hidden", False):
                continue
            sub_ctx = _click.Context(sub, info_name=name, parent=ctx)
            node.subcommands.append(_command(sub, sub_ctx, (*path, name)))
    return node


def _option(path: tuple[str, ...], param: Any) -> Option:
    # Long names first, then by name: click keeps the help option's names in a set,
    # whose order changes from one run to the next.
    names = tuple(
        sorted((*param.opts, *param.secondary_opts), key=lambda n: (not n.startswith("--"), n))
    )
    for name in names:
        _check_word(name)
    takes_value = not (param.is_flag or param.count)
    values = _option_values(path, param) if takes_value else None
    return Option(
        names=names, help=_short(param.help or ""), takes_value=takes_value, values=values
    )


def _option_values(path: tuple[str, ...], param: Any) -> Values | None:
    names = set(param.opts)
    listed = _choices(param)
    if "--expand" in names:
        words = listed or (choices.GET_EXPAND if path[-1:] == ("get",) else choices.LIST_EXPAND)
        return Values(LIST, tuple(words))
    if "--fields" in names:
        fields = known_fields()
        return Values(LIST, fields) if fields else None
    if listed is not None:
        return _choice_values(param, listed)
    if "--profile" in names:
        return Values(PROFILES)
    if "--id" in names or "job_id" in (param.name or ""):
        return Values(JOB_IDS)
    return _file_values(param)


def _argument(path: tuple[str, ...], param: Any) -> Argument:
    return Argument(
        name=param.name or "",
        variadic=param.nargs == -1,
        values=_argument_values(path, param),
    )


def _argument_values(path: tuple[str, ...], param: Any) -> Values | None:
    listed = _choices(param)
    if listed is not None:
        return _choice_values(param, listed)
    name = param.name or ""
    if path in JOB_ID_COMMANDS or "job_id" in name:
        return Values(JOB_IDS)
    if path[:1] == ("config",) and name == "key":
        return Values(WORDS, setting_keys())
    if path == ("config", "set") and name == "value":
        return Values(
            BY_PREVIOUS,
            by_previous=(
                ("format", Values(WORDS, choices.FORMATS)),
                ("default_profile", Values(PROFILES)),
            ),
        )
    return _file_values(param)


def _choices(param: Any) -> tuple[str, ...] | None:
    listed = getattr(param.type, "choices", None)
    if getattr(param.type, "name", None) == "choice" and listed is not None:
        return tuple(str(c) for c in listed)
    return None


def _choice_values(param: Any, listed: tuple[str, ...]) -> Values:
    icase = not getattr(param.type, "case_sensitive", True)
    return Values(IWORDS if icase else WORDS, listed)


def _file_values(param: Any) -> Values | None:
    metavar = (param.metavar or "").upper()
    if getattr(param.type, "name", None) in ("filename", "path") or metavar in _FILE_METAVARS:
        return Values(FILES)
    return None


def known_fields() -> tuple[str, ...]:
    """The `--fields` names (empty when the fields module is not there)."""
    try:
        from llamaextract_cli.jobs.fields import KNOWN_FIELDS
    except ImportError:
        return ()
    return tuple(KNOWN_FIELDS)


def setting_keys() -> tuple[str, ...]:
    keys = tuple(choices.SETTING_KEYS)
    try:
        from llamaextract_cli.settings.profiles import DEFAULT_PROFILE_KEY
    except ImportError:
        return keys
    return keys if DEFAULT_PROFILE_KEY in keys else (*keys, DEFAULT_PROFILE_KEY)


def _short(text: str, limit: int = 72) -> str:
    """The first sentence of a help text, on one line, at most `limit` characters."""
    text = " ".join(text.replace("\b", " ").split())
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    if match:
        text = match.group(1)
    text = text.rstrip(".")
    if len(text) > limit:
        text = text[: limit - 3].rstrip() + "..."
    return text


# --- rendering ------------------------------------------------------------------------


def script(shell: str, tree: Command) -> str:
    """The completion script for `shell` (bash, zsh or fish) of the command tree `tree`."""
    if shell not in SHELLS:
        raise ValueError(f"unknown shell {shell!r}")
    return {"bash": _bash, "zsh": _zsh, "fish": _fish}[shell](tree)


def _header(shell: str, comment: str = "#") -> str:
    install = {
        "bash": [
            "lx completion install bash",
            "or: lx completion bash > "
            '"${XDG_DATA_HOME:-$HOME/.local/share}/bash-completion/completions/lx"',
            'or, without the bash-completion package, in ~/.bashrc: eval "$(lx completion bash)"',
        ],
        "zsh": [
            "lx completion install zsh",
            "or: mkdir -p ~/.zfunc && lx completion zsh > ~/.zfunc/_lx",
            "with, in ~/.zshrc before compinit: fpath=(~/.zfunc $fpath)",
            "then: autoload -Uz compinit && compinit",
        ],
        "fish": [
            "lx completion install fish",
            "or: lx completion fish > ~/.config/fish/completions/lx.fish",
        ],
    }[shell]
    lines = [
        f"lx completion for {shell}. Generated by `lx completion {shell}` from lx's command",
        "tree; do not edit (regenerate: python scripts/gen_completions.py).",
        "",
        "Install: " + install[0],
        *("   " + line for line in install[1:]),
        "",
        "Commands, flags and fixed values are baked in: TAB never starts Python.",
        "Profile names and recent job IDs come from the files `profiles` and",
        "`job_ids` in lx's cache dir ($LX_CACHE_DIR, else $XDG_CACHE_HOME/lx,",
        "~/Library/Caches/lx on macOS, ~/.cache/lx elsewhere), which lx keeps.",
    ]
    return "".join(f"{comment} {line}".rstrip() + "\n" for line in lines)


def _sq(text: str) -> str:
    """A single-quoted word for bash and zsh."""
    return "'" + text.replace("'", "'\\''") + "'"


def _fq(text: str) -> str:
    """A single-quoted word for fish."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _kind_code(values: Values | None) -> str:
    """The value-slot descriptor the bash and zsh scripts dispatch on."""
    if values is None:
        return ""
    if values.words:
        return f"{values.kind}:{' '.join(values.words)}"
    return values.kind


def _grouped(entries: list[tuple[str, str]]) -> list[tuple[list[str], str]]:
    """(pattern, body) pairs grouped by body, in order of first appearance."""
    groups: dict[str, list[str]] = {}
    for pattern, body in entries:
        groups.setdefault(body, []).append(pattern)
    return [(patterns, body) for body, patterns in groups.items()]


def _sh_case(
    var: str,
    entries: list[tuple[str, str]],
    default: str,
    indent: str = "  ",
    then: list[tuple[str, str]] | None = None,
) -> str:
    """A bash/zsh `case` whose branches set variables (`then`: wildcard patterns, last)."""
    out = [f"{indent}case {var} in\n"]
    for patterns, body in _grouped(entries) + _grouped(then or []):
        out.append(
            f"{indent}  {'|'.join(patterns)})\n{_indent(body, indent + '    ')}{indent}    ;;\n"
        )
    out.append(f"{indent}  *)\n{_indent(default, indent + '    ')}{indent}    ;;\n")
    out.append(f"{indent}esac\n")
    return "".join(out)


def _indent(body: str, indent: str) -> str:
    return "".join(f"{indent}{line}\n" for line in body.splitlines())


def _sh_kind(values: Values | None) -> str:
    """The body of a bash/zsh case branch that sets _lx_kind for one value slot."""
    if values is not None and values.kind == BY_PREVIOUS:
        entries = [(_sq(prev), f"_lx_kind={_sq(_kind_code(v))}") for prev, v in values.by_previous]
        return _sh_case("$_lx_prevarg", entries, "_lx_kind=''", indent="").rstrip("\n")
    return f"_lx_kind={_sq(_kind_code(values))}"


Slot = tuple[str, str]


def _value_slots(
    cmd: Command, quote: Callable[[str], str], kind: Callable[[Values | None], str], star: str
) -> tuple[list[Slot], list[Slot], list[Slot]]:
    """One command's value-completion entries: (options, arguments, variadic rest)."""
    optval: list[Slot] = []
    argval: list[Slot] = []
    rest: list[Slot] = []
    for opt in cmd.options:
        if opt.takes_value and opt.values is not None:
            for name in opt.names:
                optval.append((quote(f"{cmd.key}|{name}"), kind(opt.values)))
    for index, arg in enumerate(cmd.arguments):
        if arg.variadic:
            rest.append((quote(f"{cmd.key}|") + star, kind(arg.values)))
        else:
            argval.append((quote(f"{cmd.key}|{index}"), kind(arg.values)))
    return optval, argval, rest


def _sh_data(tree: Command) -> str:
    """The three lookup functions shared by the bash and zsh scripts."""
    spec: list[tuple[str, str]] = []
    optval: list[tuple[str, str]] = []
    argval: list[tuple[str, str]] = []
    argval_rest: list[tuple[str, str]] = []
    for cmd in tree.walk():
        subs = " ".join(s.path[-1] for s in cmd.subcommands)
        opts = " ".join(cmd.option_names())
        vopts = " ".join(cmd.value_option_names())
        body = (
            f"_lx_subs={_sq(subs)}\n_lx_opts={_sq(opts)}\n"
            f"_lx_vopts={_sq(f' {vopts} ' if vopts else ' ')}"
        )
        spec.append((_sq(cmd.key), body))
        o, a, r = _value_slots(cmd, _sq, _sh_kind, "*")
        optval += o
        argval += a
        argval_rest += r
    empty = "_lx_subs=''\n_lx_opts=''\n_lx_vopts=' '"
    return (
        "# _lx_spec PATH: the subcommands, options and value-taking options of a command.\n"
        "_lx_spec() {\n" + _sh_case('"$1"', spec, empty) + "}\n\n"
        "# _lx_optval PATH OPTION: what completes the option's value (sets _lx_kind).\n"
        "_lx_optval() {\n" + _sh_case('"$1|$2"', optval, "_lx_kind=''") + "}\n\n"
        "# _lx_argval PATH INDEX: what completes the INDEXth argument; '-' when the command\n"
        "# takes no argument there.\n"
        "_lx_argval() {\n" + _sh_case('"$1|$2"', argval, "_lx_kind=-", then=argval_rest) + "}\n"
    )


_SH_CACHE_DIR = r"""# _lx_cache_dir: where lx keeps the completion cache (settings.cache_dir's rule:
# $LX_CACHE_DIR, else platformdirs' user cache dir for "lx").
_lx_cache_dir() {
  case ${LX_CACHE_DIR-} in
    '') ;;
    '~') _lx_dir=$HOME; return 0 ;;
    '~/'*) _lx_dir=$HOME/${LX_CACHE_DIR#'~/'}; return 0 ;;
    *) _lx_dir=$LX_CACHE_DIR; return 0 ;;
  esac
  if [[ ${XDG_CACHE_HOME-} == /* ]]; then
    _lx_dir=$XDG_CACHE_HOME/lx
    # older platformdirs releases ignore XDG_CACHE_HOME on macOS
    [[ $OSTYPE == darwin* && ! -d $_lx_dir ]] && _lx_dir=$HOME/Library/Caches/lx
  elif [[ $OSTYPE == darwin* ]]; then
    _lx_dir=$HOME/Library/Caches/lx
  else
    _lx_dir=$HOME/.cache/lx
  fi
  return 0
}
"""

_BASH_RUNTIME = r"""
# _lx_words WORDS CUR PREFIX [ICASE]: the WORDS that start with CUR, after PREFIX.
_lx_words() {
  local w nocase=0
  if [[ -n ${4-} ]]; then
    shopt -q nocasematch && nocase=1
    shopt -s nocasematch
  fi
  for w in $1; do
    [[ $w == "$2"* ]] && COMPREPLY+=("$3$w")
  done
  [[ -n ${4-} && $nocase == 0 ]] && shopt -u nocasematch
  return 0
}

# _lx_list WORDS CUR PREFIX: comma-separated values; completes the last item and
# leaves out the ones already given.
_lx_list() {
  local head='' last=$2 w
  if [[ $2 == *,* ]]; then
    head=${2%,*},
    last=${2##*,}
  fi
  for w in $1; do
    [[ ,$head == *,"$w",* ]] && continue
    [[ $w == "$last"* ]] && COMPREPLY+=("$3$head$w")
  done
  compopt -o nospace 2>/dev/null
  return 0
}

# _lx_lines FILE CUR PREFIX [SKIP]: the lines of a cache file that start with CUR
# (one read, no loop over the lines: the job-ID file has up to 500).
_lx_lines() {
  local -a lines
  local line
  [[ -r $1 ]] || return 0
  IFS=$'\n' read -r -d '' -a lines < "$1"
  if [[ -n $2 ]]; then  # mark the lines that start with CUR, blank the others, unmark
    lines=("${lines[@]/#"$2"/$'\1'}")
    lines=("${lines[@]/#[!$'\1']*/}")
    lines=("${lines[@]/#$'\1'/"$2"}")
  fi
  if [[ -n ${4-} ]]; then
    for line in "${lines[@]}"; do
      [[ -n $line && $line != "$4" ]] && COMPREPLY+=("$3$line")
    done
  elif [[ $- == *f* ]]; then
    COMPREPLY+=(${lines[@]/#/"$3"})
  else
    set -f  # unquoted to drop the blanked lines, never to expand a pattern
    COMPREPLY+=(${lines[@]/#/"$3"})
    set +f
  fi
  return 0
}

# _lx_values CUR PREFIX: complete a value slot described by _lx_kind.
_lx_values() {
  case $_lx_kind in
    w:*) _lx_words "${_lx_kind#w:}" "$1" "$2" ;;
    i:*) _lx_words "${_lx_kind#i:}" "$1" "$2" 1 ;;
    l:*) _lx_list "${_lx_kind#l:}" "$1" "$2" ;;
    p)
      [[ sandbox == "$1"* ]] && COMPREPLY+=("$2sandbox")
      _lx_cache_dir
      _lx_lines "$_lx_dir/profiles" "$1" "$2" sandbox
      ;;
    j)
      _lx_cache_dir
      _lx_lines "$_lx_dir/job_ids" "$1" "$2"
      ;;
    f) compopt -o default 2>/dev/null ;;
  esac
  return 0
}

_lx() {
  local IFS=$' \t\n' cur=${COMP_WORDS[COMP_CWORD]} cpath='' pending='' ddash='' w i npos=0
  local _lx_subs _lx_opts _lx_vopts _lx_kind _lx_dir _lx_prevarg=''
  COMPREPLY=()
  _lx_spec ''
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=${COMP_WORDS[i]}
    if [[ -n $pending ]]; then
      # an option's value; bash splits --opt=value into three words
      [[ $w == = ]] && continue
      pending=''
      continue
    fi
    if [[ -z $ddash && $w == -?* ]]; then
      case $w in
        --) ddash=1 ;;
        --*=*) ;;
        --*) [[ $_lx_vopts == *" $w "* ]] && pending=$w ;;
        *)
          if [[ $_lx_vopts == *" $w "* ]]; then
            pending=$w
          elif [[ $_lx_vopts != *" ${w:0:2} "* && $_lx_vopts == *" -${w: -1} "* ]]; then
            pending=-${w: -1}
          fi
          ;;
      esac
      continue
    fi
    if [[ -z $ddash && -n $w && " $_lx_subs " == *" $w "* ]]; then
      cpath=${cpath:+$cpath }$w
      _lx_spec "$cpath"
      npos=0
      continue
    fi
    _lx_prevarg=$w
    npos=$((npos + 1))
  done

  if [[ -n $pending ]]; then
    [[ $cur == = ]] && cur=''
    _lx_optval "$cpath" "$pending"
    _lx_values "$cur" ''
  elif [[ -z $ddash && $cur == --*=* ]]; then
    _lx_optval "$cpath" "${cur%%=*}"
    _lx_values "${cur#*=}" "${cur%%=*}="
  elif [[ -z $ddash && $cur == -?* ]]; then
    _lx_words "$_lx_opts" "$cur" ''
  elif [[ -n $_lx_subs ]]; then
    _lx_words "$_lx_subs" "$cur" ''
  else
    _lx_argval "$cpath" "$npos"
    if [[ $_lx_kind != - ]]; then
      _lx_values "$cur" ''
    elif [[ -z $cur && -z $ddash ]]; then
      _lx_words "$_lx_opts" '' ''
    fi
  fi
  return 0
}

complete -o nosort -F _lx lx 2>/dev/null || complete -F _lx lx
"""


def _bash(tree: Command) -> str:
    return _header("bash") + "\n" + _SH_CACHE_DIR + "\n" + _sh_data(tree) + _BASH_RUNTIME


def _zsh_desc(tree: Command) -> str:
    entries: list[tuple[str, str]] = []
    for cmd in tree.walk():
        cdesc = " ".join(_sq(f"{s.path[-1]}:{s.help}") for s in cmd.subcommands)
        odesc = " ".join(_sq(f"{n}:{o.help}") for o in cmd.options for n in o.names)
        entries.append((_sq(cmd.key), f"_lx_cdesc=({cdesc})\n_lx_odesc=({odesc})"))
    return (
        "# _lx_desc PATH: subcommands and options with their help, for _describe.\n"
        "_lx_desc() {\n" + _sh_case('"$1"', entries, "_lx_cdesc=()\n_lx_odesc=()") + "}\n"
    )


_ZSH_RUNTIME = r"""
# _lx_read FILE: the lines of a cache file into reply (no fork: $(<file) is built in).
_lx_read() {
  reply=()
  [[ -r $1 ]] && reply=(${(f)"$(<$1)"})
  return 0
}

# _lx_candidates: from words and CURRENT, what to complete. Sets _lx_mode (commands,
# options, words, iwords, list, profiles, ids, files or none), _lx_eq (1 when the
# word is --option=value), _lx_cpath (the command) and reply (the candidates, not
# yet filtered by what was typed: compadd does that, with the user's matchers).
_lx_candidates() {
  emulate -L zsh
  local cur=${words[CURRENT]} cpath='' pending='' ddash='' w i npos=0 kind
  _lx_prevarg='' _lx_mode=none _lx_eq=0 _lx_cpath=''
  reply=()
  _lx_spec ''
  for ((i = 2; i < CURRENT; i++)); do
    w=${words[i]}
    if [[ -n $pending ]]; then
      pending=''
      continue
    fi
    if [[ -z $ddash && $w == -?* ]]; then
      case $w in
        --) ddash=1 ;;
        --*=*) ;;
        --*) [[ $_lx_vopts == *" $w "* ]] && pending=$w ;;
        *)
          if [[ $_lx_vopts == *" $w "* ]]; then
            pending=$w
          elif [[ $_lx_vopts != *" ${w[1,2]} "* && $_lx_vopts == *" -${w[-1]} "* ]]; then
            pending=-${w[-1]}
          fi
          ;;
      esac
      continue
    fi
    if [[ -z $ddash && -n $w && " $_lx_subs " == *" $w "* ]]; then
      cpath=${cpath:+$cpath }$w
      _lx_spec "$cpath"
      npos=0
      continue
    fi
    _lx_prevarg=$w
    (( npos++ ))
  done
  _lx_cpath=$cpath

  if [[ -n $pending ]]; then
    _lx_optval "$cpath" "$pending"
  elif [[ -z $ddash && $cur == --*=* ]]; then
    _lx_eq=1
    _lx_optval "$cpath" "${cur%%=*}"
    cur=${cur#*=}
  elif [[ -z $ddash && $cur == -?* ]]; then
    _lx_mode=options
    reply=(${=_lx_opts})
    return 0
  elif [[ -n $_lx_subs ]]; then
    _lx_mode=commands
    reply=(${=_lx_subs})
    return 0
  else
    _lx_argval "$cpath" "$npos"
    if [[ $_lx_kind == - ]]; then
      if [[ -z $cur && -z $ddash ]]; then
        _lx_mode=options
        reply=(${=_lx_opts})
      fi
      return 0
    fi
  fi
  kind=$_lx_kind
  case $kind in
    w:*) _lx_mode=words; reply=(${=kind#w:}) ;;
    i:*) _lx_mode=iwords; reply=(${=kind#i:}) ;;
    l:*)
      _lx_mode=list
      reply=(${=kind#l:})
      if [[ $cur == *,* ]]; then
        local -a given
        given=(${(s:,:)${cur%,*}})
        reply=(${reply:|given})
      fi
      ;;
    p)
      _lx_mode=profiles
      _lx_cache_dir
      _lx_read "$_lx_dir/profiles"
      reply=(sandbox ${reply:#sandbox})
      ;;
    j)
      _lx_mode=ids
      _lx_cache_dir
      _lx_read "$_lx_dir/job_ids"
      ;;
    f) _lx_mode=files ;;
  esac
  return 0
}

_lx() {
  local -a reply _lx_cdesc _lx_odesc expl
  local _lx_mode _lx_eq _lx_cpath _lx_prevarg _lx_subs _lx_opts _lx_vopts _lx_kind _lx_dir
  _lx_candidates
  (( _lx_eq )) && compset -P '*='
  case $_lx_mode in
    commands)
      _lx_desc "$_lx_cpath"
      _describe -t commands 'lx command' _lx_cdesc
      ;;
    options)
      _lx_desc "$_lx_cpath"
      _describe -t options 'option' _lx_odesc
      ;;
    words) _wanted values expl 'value' compadd -a reply ;;
    iwords) _wanted values expl 'value' compadd -M 'm:{a-zA-Z}={A-Za-z}' -a reply ;;
    list)
      compset -P '*,'
      _wanted values expl 'value' compadd -q -S , -a reply
      ;;
    profiles) _wanted profiles expl 'profile' compadd -a reply ;;
    ids) _wanted -V job-ids expl 'job ID (newest first)' compadd -a reply ;;
    files) _files ;;
    *) return 1 ;;
  esac
}

if [[ ${zsh_eval_context[-1]-} == loadautofunc ]]; then
  # autoloaded from fpath (~/.zfunc/_lx): complete the word this call was made for
  _lx "$@"
elif (( $+functions[compdef] )); then
  # sourced: eval "$(lx completion zsh)" after compinit
  compdef _lx lx
fi
"""


def _zsh(tree: Command) -> str:
    return (
        "#compdef lx\n"
        + _header("zsh")
        + "\n"
        + _SH_CACHE_DIR
        + "\n"
        + _sh_data(tree)
        + "\n"
        + _zsh_desc(tree)
        + _ZSH_RUNTIME
    )


# --- fish -----------------------------------------------------------------------------


def _fish_kind(values: Values | None) -> str:
    if values is None:
        return "set -g __lx_kind ''"
    if values.kind == BY_PREVIOUS:
        lines = ["switch $__lx_prevarg"]
        for prev, v in values.by_previous:
            lines += [f"    case {_fq(prev)}", f"        {_fish_kind(v)}"]
        lines += ["    case '*'", "        set -g __lx_kind ''", "end"]
        return "\n".join(lines)
    return "set -g __lx_kind " + " ".join(_fq(w) for w in (values.kind, *values.words))


def _fish_switch(
    var: str,
    entries: list[tuple[str, str]],
    default: str,
    then: list[tuple[str, str]] | None = None,
) -> str:
    out = [f"    switch {var}\n"]
    for patterns, body in _grouped(entries) + _grouped(then or []):
        out.append(f"        case {' '.join(patterns)}\n{_indent(body, ' ' * 12)}")
    out.append(f"        case '*'\n{_indent(default, ' ' * 12)}")
    out.append("    end\n")
    return "".join(out)


def _fish_data(tree: Command) -> str:
    spec: list[tuple[str, str]] = []
    optval: list[tuple[str, str]] = []
    argval: list[tuple[str, str]] = []
    argval_rest: list[tuple[str, str]] = []
    for cmd in tree.walk():
        subs = " ".join(_fq(s.path[-1]) for s in cmd.subcommands)
        subd = " ".join(f"{_fq(s.path[-1])} {_fq(s.help)}" for s in cmd.subcommands)
        vopts = " ".join(_fq(n) for n in cmd.value_option_names())
        optd = " ".join(f"{_fq(n)} {_fq(o.help)}" for o in cmd.options for n in o.names)
        body = (
            f"set -g __lx_subs {subs}\n".replace(" \n", "\n")
            + f"set -g __lx_subd {subd}\n".replace(" \n", "\n")
            + f"set -g __lx_vopts {vopts}\n".replace(" \n", "\n")
            + f"set -g __lx_optd {optd}".rstrip()
        )
        spec.append((_fq(cmd.key), body))
        o, a, r = _value_slots(cmd, _fq, _fish_kind, "'*'")
        optval += o
        argval += a
        argval_rest += r
    empty = "set -g __lx_subs\nset -g __lx_subd\nset -g __lx_vopts\nset -g __lx_optd"
    return (
        "# __lx_spec PATH: the subcommands and options of a command (with their help).\n"
        "function __lx_spec\n" + _fish_switch("$argv[1]", spec, empty) + "end\n\n"
        "# __lx_optval PATH OPTION: what completes the option's value (sets __lx_kind).\n"
        "function __lx_optval\n"
        + _fish_switch('"$argv[1]|$argv[2]"', optval, "set -g __lx_kind ''")
        + "end\n\n"
        "# __lx_argval PATH INDEX: what completes the INDEXth argument; '-' when the\n"
        "# command takes no argument there.\n"
        "function __lx_argval\n"
        + _fish_switch('"$argv[1]|$argv[2]"', argval, "set -g __lx_kind -", then=argval_rest)
        + "end\n"
    )


_FISH_RUNTIME = r"""
set -q __lx_os; or set -g __lx_os (uname -s 2>/dev/null)

# __lx_cache_dir: where lx keeps the completion cache (settings.cache_dir's rule:
# $LX_CACHE_DIR, else platformdirs' user cache dir for "lx").
function __lx_cache_dir
    if test -n "$LX_CACHE_DIR"
        string replace -r -- '^~(?=/|$)' "$HOME" "$LX_CACHE_DIR"
        return
    end
    if string match -q -- '/*' "$XDG_CACHE_HOME"
        # older platformdirs releases ignore XDG_CACHE_HOME on macOS
        if test "$__lx_os" != Darwin; or test -d "$XDG_CACHE_HOME/lx"
            echo "$XDG_CACHE_HOME/lx"
            return
        end
    end
    if test "$__lx_os" = Darwin
        echo "$HOME/Library/Caches/lx"
    else
        echo "$HOME/.cache/lx"
    end
end

# __lx_values CUR PREFIX: print the candidates of the value slot in __lx_kind.
function __lx_values
    set -l cur $argv[1]
    set -l pre $argv[2]
    switch $__lx_kind[1]
        case w i
            printf '%s\n' $pre$__lx_kind[2..-1]
        case l
            set -l head (string replace -r -- '[^,]*$' '' "$cur")
            set -l given (string split -n , -- "$head")
            for w in $__lx_kind[2..-1]
                contains -- $w $given; or printf '%s\n' "$pre$head$w"
            end
        case p
            printf '%s\tprofile\n' "$pre"sandbox
            set -l file (__lx_cache_dir)/profiles
            test -r $file; or return
            set -l lines (string match -r -- '^\S+$' <$file)
            set lines (string match -v -- sandbox $lines)
            set -q lines[1]; and printf (string replace -a % %% -- "$pre")'%s\tprofile\n' $lines
        case j
            set -l file (__lx_cache_dir)/job_ids
            test -r $file; or return
            set -l lines (string match -r -- '^\S+$' <$file)
            set -q lines[1]; and printf (string replace -a % %% -- "$pre")'%s\n' $lines
        case f
            __fish_complete_path "$cur"
    end
end

function __lx_complete
    set -l tokens (commandline -opc)
    set -l cur (commandline -ct)
    set -e tokens[1]
    set -l cpath ''
    set -l pending ''
    set -l ddash ''
    set -l npos 0
    set -g __lx_prevarg ''
    __lx_spec ''
    for w in $tokens
        if test -n "$pending"
            set pending ''
            continue
        end
        if test -z "$ddash"; and string match -q -- '-?*' $w
            switch $w
                case --
                    set ddash 1
                case '--*=*'
                case '--*'
                    contains -- $w $__lx_vopts; and set pending $w
                case '*'
                    if contains -- $w $__lx_vopts
                        set pending $w
                    else if not contains -- (string sub -l 2 -- $w) $__lx_vopts
                        set -l last -(string sub -s -1 -- $w)
                        contains -- $last $__lx_vopts; and set pending $last
                    end
            end
            continue
        end
        if test -z "$ddash" -a -n "$w"; and contains -- $w $__lx_subs
            if test -z "$cpath"
                set cpath $w
            else
                set cpath "$cpath $w"
            end
            __lx_spec $cpath
            set npos 0
            continue
        end
        set -g __lx_prevarg $w
        set npos (math $npos + 1)
    end

    if test -n "$pending"
        __lx_optval "$cpath" $pending
        __lx_values "$cur" ''
    else if test -z "$ddash"; and string match -q -- '--*=*' $cur
        set -l parts (string split -m 1 = -- $cur)
        __lx_optval "$cpath" $parts[1]
        __lx_values "$parts[2]" "$parts[1]="
    else if test -z "$ddash"; and string match -q -- '-?*' $cur
        printf '%s\t%s\n' $__lx_optd
    else if set -q __lx_subs[1]
        printf '%s\t%s\n' $__lx_subd
    else
        __lx_argval "$cpath" $npos
        if test "$__lx_kind" != -
            __lx_values "$cur" ''
        else if test -z "$cur" -a -z "$ddash"
            printf '%s\t%s\n' $__lx_optd
        end
    end
end

complete -c lx -e
complete -c lx -f -k -a '(__lx_complete)'
"""


def _fish(tree: Command) -> str:
    return _header("fish") + "\n" + _fish_data(tree) + _FISH_RUNTIME
