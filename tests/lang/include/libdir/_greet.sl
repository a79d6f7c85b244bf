(defun greet (name) (string/concat "hello, " name))
