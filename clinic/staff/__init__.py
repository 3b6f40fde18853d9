"""Staff accounts: a manager invites a member of staff, changes their roles, deactivates and
reactivates them; the invitee sets a password through a one-time link."""
