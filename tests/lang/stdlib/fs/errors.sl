; fs/ failures: I/O errors name the builtin, the path as given and the OS's reason; argument
; types and counts are checked. Works in a fresh directory under the temp dir, removed at the end.
(def dir (string/concat (sys/tmpdir) "/slight-lang-fs-err-" (timer/now)))
(defun p (name) (string/concat dir "/" name))
; Runs thunk; on error, its type and message with the directory shown as DIR.
(defun err (thunk)
  (try (thunk)
    (catch e (list (error/type e) (string/replace-all (error/message e) dir "DIR")))))
(fs/mkdir! dir)
(fs/write (p "f.txt") "data")

; missing files and directories
(err (fun () (fs/read (p "missing.txt"))))
(err (fun () (read-file (p "missing.txt"))))
(err (fun () (fs/stat (p "missing.txt"))))
(err (fun () (fs/readdir (p "missing"))))
(err (fun () (fs/delete! (p "missing.txt"))))
(err (fun () (fs/write (p "no/such/x.txt") "x")))
(err (fun () (fs/write! (p "no/such/x.txt") "x")))
(err (fun () (write-file! (p "no/such/x.txt") "x")))
(err (fun () (fs/append (p "no/such/x.txt") "x")))
(err (fun () (fs/copy! (p "missing.txt") (p "x.txt"))))
(err (fun () (fs/move! (p "missing.txt") (p "x.txt"))))

; the wrong kind of thing
(err (fun () (fs/read dir)))
(err (fun () (fs/readdir (p "f.txt"))))
(err (fun () (fs/mkdir! (p "f.txt"))))
(err (fun () (fs/mkdir! (p "f.txt/sub"))))
(err (fun () (fs/copy! dir (p "copy"))))
(err (fun () (fs/copy! (p "f.txt") (p "f.txt"))))
(fs/read (p "f.txt"))

; failures leave nothing behind
(fs/readdir dir)

; relative paths are reported as given
(fs/read "no-such-dir-for-slight-tests/missing.txt")

; empty paths and NUL bytes
(fs/read "")
(fs/write "" "x")
(fs/mkdir! "")
(fs/exists? "")
(fs/read "a\0b")
(fs/exists? "a\0b")

; argument types (named as called)
(fs/read 42)
(fs/read nil)
(read-file :k)
(fs/write (p "t.txt") 42)
(fs/write! (p "t.txt") nil)
(write-file! 1 "x")
(fs/append (p "t.txt") (list "a"))
(fs/exists? 1)
(file-exists? 1)
(fs/delete! 1)
(fs/resolve 1)
(fs/mkdir! 1)
(fs/readdir 1)
(fs/stat 1)
(fs/copy! (p "f.txt") 1)
(fs/move! 1 (p "f.txt"))
(fs/exists? (p "t.txt"))

; argument counts
(fs/read)
(fs/read "a" "b")
(fs/write "a")
(fs/append "a" "b" "c")
(fs/copy! "a")
(fs/move! "a" "b" "c")
(fs/readdir)
(file-exists?)

; clean up
(fs/delete! dir)
(fs/exists? dir)
