# review.es -- receipt for a request that a person has to look at
# (status review), in Spanish.
#
# Lines starting with '#' at the top of the file are comments, and so are
# the blank lines right after them; everything below is the body, sent as
# UTF-8 text.  Placeholders (any other {{name}} is an error at load time):
#   {{reference}}     the request's reference, "REQ-000042"
#   {{notification}}  the notification's number, "2018/046"
#   {{officials}}     the officials as understood (not used here)

Estimados señores:

Les agradecemos su mensaje relativo al acceso al grupo cerrado de
usuarios sobre guepardos en la plataforma CENcomm de la OMA
(Notificación a las Partes No. {{notification}}).

Ha quedado registrado con la referencia {{reference}}. Un miembro de la
Secretaría lo examinará y les responderá a la mayor brevedad.

Atentamente,

Secretaría CITES
