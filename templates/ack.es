# ack.es -- reply to a complete request (status complete), in Spanish.
#
# Lines starting with '#' at the top of the file are comments, and so are
# the blank lines right after them; everything below is the body, sent as
# UTF-8 text.  Placeholders (any other {{name}} is an error at load time):
#   {{reference}}     the request's reference, "REQ-000042"
#   {{notification}}  the notification's number, "2018/046"
#   {{officials}}     the officials as understood, one block each
#                     (headings and lines come from strings.es)

Estimados señores:

Les agradecemos su solicitud de acceso al grupo cerrado de usuarios
sobre guepardos en la plataforma CENcomm de la OMA (Notificación a las
Partes No. {{notification}}).

Su solicitud está completa. La Secretaría transmitirá a la Organización
Mundial de Aduanas los datos de los funcionarios que figuran a
continuación para que puedan acceder al grupo cerrado de usuarios:

{{officials}}

Su solicitud ha quedado registrada con la referencia {{reference}}. Les
rogamos que la indiquen en el asunto de todo mensaje relativo a esta
solicitud.

Atentamente,

Secretaría CITES
