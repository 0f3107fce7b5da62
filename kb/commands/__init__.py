"""`kb` subcommands that live in their own modules (see kb.cli.COMMAND_MODULES)."""
