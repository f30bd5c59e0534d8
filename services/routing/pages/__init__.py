"""The staff's pages, by area: signing in (``signin``), the queue (``queue``), a case (``case``), ``admin``,
the reply templates (``templates``)."""
