"""The core's x86 sources (assembly fragments and constants files); see docs/fragments.md."""
