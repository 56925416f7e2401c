"""Roles are Django groups. Their permissions are declared here and applied by migrations (roles_sync)."""

CUSTOMER_SUCCESS = "Customer success"
PRODUCT = "Product"
ADMIN = "Admin"

# (app_label, codename). Later migrations extend these lists as models arrive and call roles_sync again.
ROLE_PERMISSIONS: dict[str, list[tuple[str, str]]] = {
    CUSTOMER_SUCCESS: [
        ("feedback", "add_feedbackitem"),
        ("feedback", "view_feedbackitem"),
        ("feedback", "view_source"),
        ("feedback", "view_competitor"),
        ("accounts", "view_account"),
        ("accounts", "view_contact"),
        ("themes", "view_productarea"),
        ("themes", "view_theme"),
        ("ranking", "view_themeweek"),
    ],
    PRODUCT: [
        ("feedback", "view_feedbackitem"),
        ("feedback", "view_source"),
        ("feedback", "view_syncrun"),
        # The competitors whose mentions the ranked list shows: Product keeps the list.
        ("feedback", "view_competitor"),
        ("feedback", "add_competitor"),
        ("feedback", "change_competitor"),
        ("feedback", "delete_competitor"),
        ("accounts", "view_account"),
        ("accounts", "view_contact"),
        ("themes", "view_productarea"),
        ("themes", "add_productarea"),
        ("themes", "change_productarea"),
        ("themes", "view_theme"),
        ("themes", "change_theme"),
        ("themes", "view_themeevent"),
        ("themes", "view_clusterrun"),
        ("themes", "view_curation"),
        ("ranking", "view_themeweek"),
        # Product leads' weekly digests: who gets them, and the delivery log (retrying a failed one is a change).
        ("digests", "view_digestsubscription"),
        ("digests", "add_digestsubscription"),
        ("digests", "change_digestsubscription"),
        ("digests", "delete_digestsubscription"),
        ("digests", "view_digestdelivery"),
        ("digests", "change_digestdelivery"),
    ],
}
# Admins may do everything in these apps; superusers bypass permissions anyway.
ADMIN_APPS = ["accounts", "feedback", "themes", "ranking", "digests", "api", "auth"]


def roles_sync(apps) -> None:
    """Create the role groups and give them exactly the declared permissions. Safe to run repeatedly."""
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations run; a fresh database needs them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, wanted in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        # A permission whose model a later migration creates is skipped here; that migration syncs again.
        permissions = [
            permission
            for app_label, codename in wanted
            if (permission := Permission.objects.filter(content_type__app_label=app_label, codename=codename).first())
        ]
        group.permissions.set(permissions)
    admin_group, _ = Group.objects.get_or_create(name=ADMIN)
    admin_group.permissions.set(Permission.objects.filter(content_type__app_label__in=ADMIN_APPS))
