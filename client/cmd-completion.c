/* cmd-completion.c — `pcb completion bash|zsh|fish`: prints a shell completion script for pcb
 * (`make install` installs all three). The scripts are made from the command table and each
 * command's usage text, the same text `pcb help NAME` prints, so a new command or flag is
 * completed without anyone editing a script. */
#include "pcb.h"

#include <ctype.h>
#include <getopt.h>
#include <string.h>

static const char usage[] =
    "Usage: pcb completion bash|zsh|fish\n"
    "\n"
    "Print a completion script for the shell. To use it now:\n"
    "  bash: source <(pcb completion bash)\n"
    "  zsh:  source <(pcb completion zsh)\n"
    "  fish: pcb completion fish | source\n"
    "'make install' puts them where the shells look (bash-completion, zsh site-functions,\n"
    "fish vendor_completions.d).\n"
    "\n"
    "Options:\n"
    "  -h, --help  show this help\n";

static int run(struct pcb_http *h, int argc, char **argv);

const struct pcb_cmd pcb_cmd_completion = {
	.name = "completion",
	.summary = "Print a shell completion script (bash, zsh, fish)",
	.usage = usage,
	.fn = run,
};

/* Flags whose value is a file or a folder (completed as paths), and the words --progress
 * and --compression take. */
static const char *const path_flags[] = { "--output", "--iidfile", "--metadata-file", "--lock",
    "--requirements", "--deps-from-venv", "--creds", "--ca-cert", "--certs-d", "--python",
    "--config", NULL };
static const char progress_words[] = "auto tty plain rawjson quiet";

/* Whether word is one of the space-separated words of list. */
static bool
listed(const char *list, const char *word)
{
	size_t k = strlen(word);

	for (const char *p = strstr(list, word); p != NULL; p = strstr(p + 1, word))
		if ((p == list || p[-1] == ' ') && (p[k] == ' ' || p[k] == '\0'))
			return true;
	return false;
}

/* The long options a usage text names ("--tag", …), each once, space-separated in buf. */
static void
long_opts(const char *text, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (const char *p = strstr(text, "--"); p != NULL; p = strstr(p + 2, "--")) {
		char word[64];
		size_t k = 2;

		if (p > text && (isalnum((unsigned char)p[-1]) || p[-1] == '-'))
			continue;
		while (k < sizeof word - 1 && (islower((unsigned char)p[k]) ||
		    isdigit((unsigned char)p[k]) || p[k] == '-'))
			k++;
		if (k < 4 || p[k - 1] == '-')
			continue;
		memcpy(word, p, k);
		word[k] = '\0';
		if (listed(buf, word))
			continue;
		if (n + k + 2 >= size)
			break;
		n += (size_t)snprintf(buf + n, size - n, "%s%s", n > 0 ? " " : "", word);
	}
}

static void
print_bash(const struct pcb_cmd *const *cmds, size_t n)
{
	char opts[4096];

	printf("# bash completion for pcb (made by 'pcb completion bash')\n"
	    "_pcb()\n{\n"
	    "\tlocal cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
	    "\tlocal cmd=\"\" opts=\"\" i\n"
	    "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	    "\t\tcase \"${COMP_WORDS[i]}\" in\n"
	    "\t\t-H|--host) ((i++)) ;;\n"
	    "\t\t-*) ;;\n"
	    "\t\t*) cmd=\"${COMP_WORDS[i]}\"; break ;;\n"
	    "\t\tesac\n"
	    "\tdone\n"
	    "\tcase \"$prev\" in\n"
	    "\t--progress) COMPREPLY=($(compgen -W \"%s\" -- \"$cur\")); return ;;\n"
	    "\t--compression) COMPREPLY=($(compgen -W \"gzip zstd\" -- \"$cur\")); return ;;\n"
	    "\t", progress_words);
	for (size_t i = 0; path_flags[i] != NULL; i++)
		printf("%s%s", i > 0 ? "|" : "", path_flags[i]);
	printf(") COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n"
	    "\tesac\n"
	    "\tif [[ -z \"$cmd\" ]]; then\n"
	    "\t\tCOMPREPLY=($(compgen -W \"");
	for (size_t i = 0; i < n; i++)
		printf("%s ", cmds[i]->name);
	printf("help -H --host --version --help\" -- \"$cur\"))\n"
	    "\t\treturn\n"
	    "\tfi\n"
	    "\tcase \"$cmd\" in\n");
	for (size_t i = 0; i < n; i++) {
		long_opts(cmds[i]->usage, opts, sizeof opts);
		printf("\t%s) opts=\"%s\" ;;\n", cmds[i]->name, opts);
	}
	printf("\thelp) COMPREPLY=($(compgen -W \"");
	for (size_t i = 0; i < n; i++)
		printf("%s%s", i > 0 ? " " : "", cmds[i]->name);
	printf("\" -- \"$cur\")); return ;;\n"
	    "\tesac\n"
	    "\tif [[ \"$cmd\" == completion && \"$cur\" != -* ]]; then\n"
	    "\t\tCOMPREPLY=($(compgen -W \"bash zsh fish\" -- \"$cur\"))\n"
	    "\telif [[ \"$cur\" == -* ]]; then\n"
	    "\t\tCOMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
	    "\telse\n"
	    "\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n"
	    "\tfi\n"
	    "}\n"
	    "complete -F _pcb pcb\n");
}

/* zsh: a #compdef function (it works from $fpath as _pcb, or sourced). */
static void
print_zsh(const struct pcb_cmd *const *cmds, size_t n)
{
	char opts[4096];

	printf("#compdef pcb\n"
	    "# zsh completion for pcb (made by 'pcb completion zsh')\n"
	    "_pcb() {\n"
	    "\tlocal -a commands opts\n"
	    "\tlocal cmd i\n"
	    "\tcommands=(\n");
	for (size_t i = 0; i < n; i++) {
		printf("\t\t'%s:", cmds[i]->name);
		for (const char *c = cmds[i]->summary; *c != '\0'; c++) {
			if (*c == '\'')
				fputs("'\\''", stdout);
			else if (*c == ':')
				fputs("\\:", stdout);
			else
				putchar(*c);
		}
		printf("'\n");
	}
	printf("\t\t'help:Show help for pcb or for one command'\n"
	    "\t)\n"
	    "\tfor ((i = 2; i < CURRENT; i++)); do\n"
	    "\t\tcase $words[i] in\n"
	    "\t\t-H|--host) ((i++)) ;;\n"
	    "\t\t-*) ;;\n"
	    "\t\t*) cmd=$words[i]; break ;;\n"
	    "\t\tesac\n"
	    "\tdone\n"
	    "\tcase $words[CURRENT-1] in\n"
	    "\t--progress) compadd -- %s; return ;;\n"
	    "\t--compression) compadd -- gzip zstd; return ;;\n"
	    "\t", progress_words);
	for (size_t i = 0; path_flags[i] != NULL; i++)
		printf("%s%s", i > 0 ? "|" : "", path_flags[i]);
	printf(") _files; return ;;\n"
	    "\tesac\n"
	    "\tif [[ -z $cmd ]]; then\n"
	    "\t\tif [[ $PREFIX == -* ]]; then compadd -- -H --host --version --help\n"
	    "\t\telse _describe 'command' commands; fi\n"
	    "\t\treturn\n"
	    "\tfi\n"
	    "\tcase $cmd in\n");
	for (size_t i = 0; i < n; i++) {
		long_opts(cmds[i]->usage, opts, sizeof opts);
		printf("\t%s) opts=(%s) ;;\n", cmds[i]->name, opts);
	}
	printf("\thelp) _describe 'command' commands; return ;;\n"
	    "\tcompletion) [[ $PREFIX != -* ]] && { compadd -- bash zsh fish; return; } ;;\n"
	    "\tesac\n"
	    "\tif [[ $PREFIX == -* ]]; then compadd -- $opts; else _files; fi\n"
	    "}\n"
	    "if [[ $zsh_eval_context[-1] == loadautofunc ]]; then\n"
	    "\t_pcb \"$@\"\n"
	    "else\n"
	    "\tcompdef _pcb pcb\n"
	    "fi\n");
}

static void
print_fish(const struct pcb_cmd *const *cmds, size_t n)
{
	char opts[4096];

	printf("# fish completion for pcb (made by 'pcb completion fish')\n"
	    "complete -c pcb -f\n"
	    "complete -c pcb -n __fish_use_subcommand -s H -l host -r -d 'daemon address'\n"
	    "complete -c pcb -n __fish_use_subcommand -l version -d 'print the client version'\n"
	    "complete -c pcb -n __fish_use_subcommand -a help -d 'Show help for pcb or for one "
	    "command'\n");
	for (size_t i = 0; i < n; i++) {
		printf("complete -c pcb -n __fish_use_subcommand -a %s -d '", cmds[i]->name);
		for (const char *c = cmds[i]->summary; *c != '\0'; c++) {
			if (*c == '\'' || *c == '\\')
				putchar('\\');
			putchar(*c);
		}
		printf("'\n");
	}
	for (size_t i = 0; i < n; i++) {
		char *save = NULL, *w;

		long_opts(cmds[i]->usage, opts, sizeof opts);
		for (w = strtok_r(opts, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save)) {
			bool path = false;
			for (size_t k = 0; path_flags[k] != NULL; k++)
				path = path || strcmp(path_flags[k], w) == 0;
			printf("complete -c pcb -n '__fish_seen_subcommand_from %s' -l %s%s", cmds[i]->name,
			    w + 2, path ? " -r -F" : "");
			if (strcmp(w, "--progress") == 0)
				printf(" -x -a '%s'", progress_words);
			printf("\n");
		}
	}
	printf("complete -c pcb -n '__fish_seen_subcommand_from completion' -x -a 'bash zsh fish'\n"
	    "complete -c pcb -n '__fish_seen_subcommand_from build' -F\n");
}

static int
run(struct pcb_http *h, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct pcb_cmd *const *cmds;
	size_t n;
	int c;

	(void)h;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h')
			return pcb_cli_help(&pcb_cmd_completion);
		return pcb_cli_opt_error(&pcb_cmd_completion, c, argv);
	}
	if (argc - optind != 1)
		return pcb_cli_usage_error(&pcb_cmd_completion, argc - optind == 0 ?
		    "which shell? bash, zsh or fish" : "one shell only");
	cmds = pcb_cli_commands(&n);
	if (strcmp(argv[optind], "bash") == 0)
		print_bash(cmds, n);
	else if (strcmp(argv[optind], "zsh") == 0)
		print_zsh(cmds, n);
	else if (strcmp(argv[optind], "fish") == 0)
		print_fish(cmds, n);
	else
		return pcb_cli_usage_error(&pcb_cmd_completion, "'%s' is not bash, zsh or fish",
		    argv[optind]);
	return fflush(stdout) == 0 ? PCB_EXIT_OK : PCB_EXIT_FAIL;
}
