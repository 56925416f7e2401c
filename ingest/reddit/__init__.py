"""Reddit: a subreddit's new posts, or a keyword search, with an app-only OAuth token."""
