"""Built-in loader and feature plugins (installed as ``qboot_plugins``)."""
