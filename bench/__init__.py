"""The performance benchmark (`python -m bench`): a generated CS organisation measured against its peers."""
