"""Conformance: one test per documented AWS behaviour the sandbox emulates, driven by the stock AWS CLI."""
