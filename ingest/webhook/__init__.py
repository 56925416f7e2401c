"""A generic JSON webhook for any tool that can sign what it sends."""
