from django import template

register = template.Library()


@register.filter
def certificate_status(inspector, day):
    """{{ inspector|certificate_status:today }} -> a CertificateStatus value."""
    return inspector.certificate_status(day)
