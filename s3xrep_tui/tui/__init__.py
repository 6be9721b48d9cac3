"""The Textual application. No AWS logic here: it calls s3xrep_tui.aws in workers."""
