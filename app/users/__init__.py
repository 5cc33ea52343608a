"""People: profiles, following, editing your profile, avatars."""
