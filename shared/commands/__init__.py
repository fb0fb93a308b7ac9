"""One module per `referral211` command: `configure(parser)` adds its options, `run(options)` does it."""
