# strings.es -- the words replies put around what a sender wrote, in
# Spanish.  One "key = value" a line; lines starting with '#' and blank
# lines are ignored; spaces around the value are trimmed.  Every key below
# must be present, and no other.  Placeholders, each allowed only where
# listed (any other {{name}} is an error at load time):
#   field.KEY         name of each field, as in the notification
#   problem.KEY       why a value cannot be used
#   official          heading of one official's block: {{n}} = its number
#   line.ok           a field understood: {{label}}, {{value}}
#   line.missing      a field not given: {{label}}, {{problem}}
#   line.invalid      a field given but unusable: {{label}}, {{value}},
#                     {{problem}}
#   none              when no official could be found: {{fields}} = the
#                     field names, comma-separated
#   subject.default   subject when the sender's message had none
#   subject.prefix    put before the sender's subject
#   subject.strip     reply prefixes removed from the start of the sender's
#                     subject before ours is added (comma-separated, any
#                     case; the lists of every language are used together)
#   notification      the notification's number when the caller gives none

field.country = País
field.last_name = Apellido
field.first_name = Nombre
field.organisation = Organización
field.function = Función
field.phone = Teléfono
field.email = Correo electrónico

problem.missing = dato no indicado
problem.country = no corresponde a ninguna Parte en la CITES
problem.email = dirección de correo electrónico no válida
problem.phone = número de teléfono no válido (al menos 7 dígitos, con el prefijo del país)
problem.text = valor no utilizable
problem.too_long = valor demasiado largo

official = Funcionario {{n}}
line.ok = {{label}}: {{value}}
line.missing = {{label}}: {{problem}}
line.invalid = {{label}}: «{{value}}» – {{problem}}
none = No hemos podido identificar a ningún funcionario en su mensaje. Les rogamos que indiquen, para cada funcionario, los datos siguientes: {{fields}}.

subject.default = Acceso al grupo cerrado de usuarios sobre guepardos
subject.prefix = Re:
subject.strip = re, res
notification = 2018/046
