"""The printable case report: a network's figures, each with the registrations behind it."""
