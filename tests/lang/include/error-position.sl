; an uncaught error inside an included file is reported at its position in that file
(include "_broken.sl")
