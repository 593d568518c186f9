"""The HTTP gateway: the platform's only HTTP surface."""
