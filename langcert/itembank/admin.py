import random

from django import forms
from django.contrib import admin, messages
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from langcert.catalog.models import Language
from langcert.core.admin_audit import AuditedModelAdmin
from langcert.itembank import services
from langcert.itembank.content import validate_item
from langcert.itembank.files import files_from_zip
from langcert.itembank.models import Item
from langcert.itembank.scoring import presentation


class ItemAdminForm(forms.ModelForm):
    """The same checks as an import: content schema, IRT shape, level, code."""

    class Meta:
        model = Item
        fields = "__all__"  # noqa: DJ007 - the admin edits every field of an item

    def clean(self):
        data = super().clean()
        record, problems = validate_item({
            "code": data.get("code"), "skill": data.get("skill"), "type": data.get("type"),
            "level": data.get("level"), "time_limit": data.get("time_limit"),
            "status": data.get("status"),
            "irt": {"model": data.get("irt_model"), "a": data.get("a"), "b": data.get("b"),
                    "c": data.get("c") or 0.0},
            "content": data.get("content") or {},
        })
        if problems:
            raise forms.ValidationError(problems)
        data["content"] = record.content
        return data


@admin.register(Item)
class ItemAdmin(AuditedModelAdmin):
    list_display = ["code", "skill", "type", "level", "status", "a", "b", "time_limit",
                    "preview_link"]
    list_filter = ["language", "skill", "type", "level", "status"]
    search_fields = ["code"]
    filter_horizontal = ["enemies"]
    readonly_fields = ["exposure_k", "updated_at"]
    change_list_template = "admin/itembank/item/change_list.html"
    actions = ["export_bank"]

    @admin.display(description=_("Preview"))
    def preview_link(self, item):
        return format_html('<a href="{}/preview/">{}</a>', item.pk, _("Preview"))

    form = ItemAdminForm

    def get_urls(self):
        return [
            path("<int:pk>/preview/", self.admin_site.admin_view(self.preview),
                 name="itembank_item_preview"),
            path("import/", self.admin_site.admin_view(self.import_view),
                 name="itembank_item_import"),
            path("<int:pk>/audio/", self.admin_site.admin_view(self.audio),
                 name="itembank_item_audio"),
        ] + super().get_urls()

    def preview(self, request, pk):
        item = get_object_or_404(Item, pk=pk)
        shown = presentation(item.type, item.content, random.Random(item.pk))
        context = {**self.admin_site.each_context(request), "item": item,
                   "presentation": shown,
                   "title": _("Preview of %(code)s") % {"code": item.code}}
        return render(request, "admin/itembank/item/preview.html", context)

    def audio(self, request, pk):
        item = get_object_or_404(Item, pk=pk, type=Item.Type.LISTENING)
        return FileResponse(item.audio.open("rb"), content_type="audio/ogg")

    def import_view(self, request):
        report = None
        if request.method == "POST" and request.FILES.get("archive"):
            try:
                archive = files_from_zip(request.FILES["archive"].read())
            except Exception:  # a damaged zip
                messages.error(request, _("This is not a readable zip archive."))
                return redirect(".")
            report = services.bank_import(actor=request.user, files=archive, request=request)
            if report.ok:
                messages.success(request, _("%(created)d items created, %(updated)d updated.")
                                 % {"created": report.created, "updated": report.updated})
                return redirect("..")
        context = {**self.admin_site.each_context(request), "report": report,
                   "title": _("Import items")}
        return render(request, "admin/itembank/item/import.html", context)

    @admin.action(description=_("Export the bank of the selected items' languages (zip)"))
    def export_bank(self, request, queryset):
        language = Language.objects.get(pk=queryset.values_list("language", flat=True)[0])
        archive = services.bank_export(actor=request.user, language=language, request=request)
        response = HttpResponse(archive, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="itembank-{language.code}.zip"'
        return response
