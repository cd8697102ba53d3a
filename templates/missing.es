# missing.es -- reply to an incomplete request (status incomplete), in
# Spanish: what was understood for each official, and what is missing or
# invalid.
#
# Lines starting with '#' at the top of the file are comments, and so are
# the blank lines right after them; everything below is the body, sent as
# UTF-8 text.  Placeholders (any other {{name}} is an error at load time):
#   {{reference}}     the request's reference, "REQ-000042"
#   {{notification}}  the notification's number, "2018/046"
#   {{officials}}     one block per official: each field as understood,
#                     or why it is missing or cannot be used (strings.es)

Estimados señores:

Les agradecemos su solicitud de acceso al grupo cerrado de usuarios
sobre guepardos en la plataforma CENcomm de la OMA (Notificación a las
Partes No. {{notification}}).

Su solicitud ha quedado registrada con la referencia {{reference}}, pero
falta parte de la información solicitada en la Notificación o no ha
sido posible utilizarla. A continuación se indica, para cada
funcionario, la información que hemos entendido y la que falta:

{{officials}}

Les rogamos que respondan a este mensaje conservando la referencia
[{{reference}}] en el asunto e indicando únicamente la información que
falta o las correcciones. No es necesario enviar de nuevo los demás
datos.

Atentamente,

Secretaría CITES
