%% Spawn N processes that each tell the main process they are ready and then wait in
%% receive (idle). Prints the same lines as idle.sl plus BEAM's own memory accounting.
%% Usage: erl -noshell -pa DIR -run idle main N
-module(idle).
-export([main/1, idle/1]).

main([NS]) ->
    N = list_to_integer(NS),
    Me = self(),
    Rss0 = rss_kb(),
    Mem0 = erlang:memory(processes),
    T0 = erlang:monotonic_time(microsecond),
    Pids = spawn_n(N, Me, []),
    wait_n(N, ready),
    T1 = erlang:monotonic_time(microsecond),
    Rss1 = rss_kb(),
    Mem1 = erlang:memory(processes),
    One = case Pids of
              [P | _] -> {memory, B} = erlang:process_info(P, memory), B;
              [] -> 0
          end,
    io:format("ready ~p~n", [length(Pids)]),
    io:format("spawn_ms ~.3f~n", [(T1 - T0) / 1000]),
    io:format("rss_before_kb ~p~n", [Rss0]),
    io:format("rss_after_kb ~p~n", [Rss1]),
    io:format("beam_processes_bytes_before ~p~n", [Mem0]),
    io:format("beam_processes_bytes_after ~p~n", [Mem1]),
    io:format("beam_process_info_memory ~p~n", [One]),
    [P2 ! stop || P2 <- Pids],
    wait_n(N, stopped),
    io:format("stopped ~p~n", [N]),
    io:format("total_ms ~.3f~n", [(erlang:monotonic_time(microsecond) - T0) / 1000]),
    erlang:halt(0).

idle(Me) ->
    Me ! ready,
    receive stop -> Me ! stopped end.

spawn_n(0, _Me, Acc) -> Acc;
spawn_n(I, Me, Acc) -> spawn_n(I - 1, Me, [spawn(?MODULE, idle, [Me]) | Acc]).

wait_n(0, _) -> ok;
wait_n(I, Tag) -> receive Tag -> wait_n(I - 1, Tag) end.

rss_kb() ->
    {ok, Bin} = file:read_file("/proc/self/status"),
    [Line] = [L || L <- string:split(binary_to_list(Bin), "\n", all), lists:prefix("VmRSS:", L)],
    [_, Kb | _] = string:lexemes(Line, " \t"),
    list_to_integer(Kb).
