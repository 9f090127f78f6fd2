"""The browser interface: thin routes over the domain packages."""
