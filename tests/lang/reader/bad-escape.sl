"ok"
"bad \q escape"
