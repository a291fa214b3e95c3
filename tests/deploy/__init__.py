"""Checks of deploy/: the image, compose, Kubernetes manifests and the Slack app manifests."""
