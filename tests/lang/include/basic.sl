; include runs every form of the file here; its definitions and macros are available after.
(include "_math.sl")
(square 7)
(twice (print "hi"))
(include "sub/_nested.sl")
(nested)
; including again runs the file again
(include "_math.sl")
