%% A ring of N processes (all spawned; the main process only waits) passes an integer token
%% around M times: N*M messages. Same structure and output as ring.sl.
%% Usage: erl -noshell -pa DIR -run ring main N M
-module(ring).
-export([main/1, ring_head/3, relay/1]).

main([NS, MS]) ->
    N = list_to_integer(NS),
    Rounds = list_to_integer(MS),
    T0 = erlang:monotonic_time(microsecond),
    spawn(?MODULE, ring_head, [self(), N, Rounds]),
    receive spawned -> ok end,
    T1 = erlang:monotonic_time(microsecond),
    receive rounds_done -> ok end,
    T2 = erlang:monotonic_time(microsecond),
    receive stopped -> ok end,
    io:format("rounds ~p~n", [Rounds]),
    io:format("messages ~p~n", [N * Rounds]),
    io:format("spawn_ms ~.3f~n", [(T1 - T0) / 1000]),
    io:format("pass_ms ~.3f~n", [(T2 - T1) / 1000]),
    erlang:halt(0).

relay(Next) ->
    receive
        stop -> Next ! stop;
        K -> Next ! K, relay(Next)
    end.

head_loop(Me, Next) ->
    receive
        stop -> Me ! stopped;
        0 -> Me ! rounds_done, Next ! stop, head_loop(Me, Next);
        K -> Next ! K - 1, head_loop(Me, Next)
    end.

ring_head(Me, N, Rounds) ->
    Next = chain(1, N, self()),
    Me ! spawned,
    Next ! Rounds - 1,
    head_loop(Me, Next).

chain(I, N, Next) when I < N -> chain(I + 1, N, spawn(?MODULE, relay, [Next]));
chain(_, _, Next) -> Next.
