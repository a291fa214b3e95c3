"""A local Slack sandbox: the real bot against an emulation of the parts of Slack it uses, in
the browser (`intake-bot sandbox`). The same emulation serves the end-to-end tests.

- ``slack_api``: the emulated Slack Web API (message store, views, Home tabs, ephemerals,
  Block Kit validation, rate limits with 429 and Retry-After, violations);
- ``blockkit``: Block Kit validation as Slack's servers do it;
- ``requests``: signed Slack-shaped requests to the bot (slash commands, events, block_actions,
  view_submission, view_closed, shortcuts);
- ``runtime``: the sandbox (bot + emulation + movable clock); ``server``: the page and its API;
  ``static/``: the page itself; ``cli``: the command.
"""
