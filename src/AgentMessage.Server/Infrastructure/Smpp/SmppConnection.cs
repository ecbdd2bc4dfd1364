using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Threading.Channels;
using AgentMessage.Server.Infrastructure.Smpp.Protocol;

namespace AgentMessage.Server.Infrastructure.Smpp;

/// <summary>What an SMSC's own requests (<c>deliver_sm</c>, <c>data_sm</c>) are handed to; the answer
/// is the command_status of the response (0 once the receipt or message is durably recorded).</summary>
public interface ISmppInboundHandler
{
    ValueTask<uint> HandleAsync(Pdu pdu, int bind, CancellationToken cancellationToken);
}

/// <summary>
/// One SMPP session over one connection, from <c>bind_transceiver</c> to close. A reader decodes
/// every PDU the SMSC sends and answers its requests (enquire_link, unbind, deliver_sm, data_sm;
/// generic_nack for anything else); a sender takes submissions from the link's shared queue
/// whenever this session's window has room, so a busy or dead bind never holds work another bind
/// could send; a sweeper gives up on requests unanswered after the response timeout; an idle check
/// sends enquire_link. Any protocol or I/O failure closes the session: its unanswered requests are
/// completed as <see cref="SmppFailure.ConnectionLost"/>, and the link reconnects.
/// </summary>
internal sealed partial class SmppConnection : IAsyncDisposable
{
    /// <summary>The most submissions written with one write call.</summary>
    private const int WriteBatch = 64;

    private static readonly TimeSpan MaxSweepInterval = TimeSpan.FromMilliseconds(250);

    private readonly Stream stream;
    private readonly SmppOptions options;
    private readonly ChannelReader<SmppRequest> outbound;
    private readonly ISmppInboundHandler inbound;
    private readonly SubmitPacer pacer;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly ConcurrentDictionary<uint, Pending> pending = new();
    private readonly SemaphoreSlim window;
    private readonly SemaphoreSlim writeLock = new(1, 1);
    private readonly CancellationTokenSource closing = new();
    private readonly TaskCompletionSource<string> closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<Task, byte> inboundWork = new();
    private readonly ConcurrentQueue<byte[]> responses = new();
    private int responding;
    private Task? readerTask;
    private Task? sweeperTask;
    private long lastReceived;
    private int sequence;
    private int closeStarted;

    public SmppConnection(int bind, Stream stream, SmppOptions options, ChannelReader<SmppRequest> outbound, ISmppInboundHandler inbound, SubmitPacer pacer, TimeProvider time, ILogger logger)
    {
        Bind = bind;
        this.stream = stream;
        this.options = options;
        this.outbound = outbound;
        this.inbound = inbound;
        this.pacer = pacer;
        this.time = time;
        this.logger = logger;
        window = new SemaphoreSlim(options.WindowSize, options.WindowSize);
        lastReceived = time.GetTimestamp();
    }

    /// <summary>The bind's number on this instance (0-based), for logs.</summary>
    public int Bind { get; }

    public bool IsBound { get; private set; }

    /// <summary>Requests written and not answered yet.</summary>
    public int Outstanding => pending.Count;

    /// <summary>Completes with the reason when the session has closed.</summary>
    public Task<string> Closed => closed.Task;

    /// <summary>Starts reading and binds as a transceiver; the bind_transceiver_resp's status (0 = bound),
    /// or the failure that left it unanswered.</summary>
    public async Task<SmppResponse> BindAsync()
    {
        readerTask = Task.Run(ReadLoopAsync);

        // The sweeper runs from the start, so a bind the SMSC never answers times out too.
        sweeperTask = Task.Run(() => SweepLoopAsync(closing.Token), CancellationToken.None);
        var bind = new BindTransceiver(options.SystemId ?? string.Empty, options.Password ?? string.Empty, options.SystemType);
        var response = await SendRequestAsync(bind);
        if (response.IsOk && response.Pdu is BindTransceiverResp)
        {
            IsBound = true;
            return response;
        }

        return response;
    }

    /// <summary>Sends submissions, sweeps timeouts and checks an idle link until the session closes;
    /// returns why it closed.</summary>
    public async Task<string> RunAsync()
    {
        var token = closing.Token;
        var sender = Task.Run(() => SendLoopAsync(token), CancellationToken.None);
        var keepAlive = Task.Run(() => EnquireLoopAsync(token), CancellationToken.None);
        var reason = await closed.Task;
        await Task.WhenAll(sender, sweeperTask ?? Task.CompletedTask, keepAlive);
        return reason;
    }

    /// <summary>Sends unbind and waits up to <paramref name="wait"/> for unbind_resp (and for the
    /// answers to deliver_sm still being recorded), then closes.</summary>
    public async Task UnbindAsync(TimeSpan wait)
    {
        if (closeStarted != 0)
        {
            return;
        }

        IsBound = false;
        try
        {
            using var timeout = new CancellationTokenSource(wait, time);
            var answer = SendRequestAsync(new Unbind());
            await Task.WhenAll(answer, Task.WhenAll(inboundWork.Keys)).WaitAsync(timeout.Token);
            LogUnbound(Bind, answer.Result.IsOk ? "unbind_resp" : answer.Result.Failure.ToString());
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException or ObjectDisposedException)
        {
            LogUnbound(Bind, "no unbind_resp in time");
        }

        await CloseAsync("unbound on shutdown");
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync("disposed");
        if (readerTask is not null)
        {
            await readerTask;
        }

        if (sweeperTask is not null)
        {
            await sweeperTask;
        }

        closing.Dispose();
        window.Dispose();
    }

    /// <summary>Sends a request outside the window (bind, enquire_link, unbind) and waits for its answer.</summary>
    private async Task<SmppResponse> SendRequestAsync(Pdu pdu)
    {
        var request = new SmppRequest(pdu);
        request.TryTake();
        var sequenceNumber = NextSequence();
        pending[sequenceNumber] = new Pending(request, Deadline(), Windowed: false);
        try
        {
            await WriteAsync(PduCodec.Encode(pdu with { Sequence = sequenceNumber }));
        }
        catch (Exception exception) when (exception is IOException or ObjectDisposedException or OperationCanceledException)
        {
            await CloseAsync("write failed");
        }

        return await request.Completion.Task;
    }

    private async Task SendLoopAsync(CancellationToken token)
    {
        var batch = new List<SmppRequest>(WriteBatch);
        var buffer = new ArrayBufferWriter<byte>(WriteBatch * 200);
        while (!token.IsCancellationRequested)
        {
            // How many of the batch are registered as pending: those are answered, timed out or
            // lost with the connection; the rest were never written.
            var registered = 0;
            try
            {
                await window.WaitAsync(token);
                SmppRequest first;
                try
                {
                    first = await outbound.ReadAsync(token);
                }
                catch
                {
                    window.Release();
                    throw;
                }

                if (!first.TryTake())
                {
                    window.Release();
                    continue;
                }

                batch.Add(first);
                while (batch.Count < WriteBatch && pacer.IsUnpaced && window.Wait(0))
                {
                    if (!outbound.TryRead(out var next))
                    {
                        window.Release();
                        break;
                    }

                    if (next.TryTake())
                    {
                        batch.Add(next);
                    }
                    else
                    {
                        window.Release();
                    }
                }

                foreach (var request in batch)
                {
                    await pacer.WaitAsync(token);
                    var sequenceNumber = NextSequence();
                    var bytes = PduCodec.Encode(request.Pdu with { Sequence = sequenceNumber });
                    pending[sequenceNumber] = new Pending(request, Deadline(), Windowed: true);
                    registered++;
                    if (pacer.IsUnpaced)
                    {
                        buffer.Write(bytes);
                    }
                    else
                    {
                        // Paced: each submission goes out at its own time.
                        await WriteAsync(bytes);
                    }
                }

                if (buffer.WrittenCount > 0)
                {
                    await WriteAsync(buffer.WrittenMemory);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception) when (exception is IOException or ObjectDisposedException or ChannelClosedException)
            {
                await CloseAsync($"write failed ({exception.GetType().Name})");
                break;
            }
            finally
            {
                for (var i = registered; i < batch.Count; i++)
                {
                    batch[i].Complete(SmppResponse.Failed(SmppFailure.NotSent));
                    window.Release();
                }

                batch.Clear();
                buffer.ResetWrittenCount();
            }
        }
    }

    private async Task WriteAsync(ReadOnlyMemory<byte> bytes)
    {
        await writeLock.WaitAsync(closing.Token);
        try
        {
            await stream.WriteAsync(bytes, closing.Token);
            await stream.FlushAsync(closing.Token);
        }
        finally
        {
            writeLock.Release();
        }
    }

    /// <summary>
    /// Writes a response; a session that is closing just drops it. Responses queue up and one writer
    /// at a time sends all that are waiting in one write, so a burst of receipts is answered with a
    /// few writes rather than one system call each.
    /// </summary>
    private Task RespondAsync(Pdu response)
    {
        responses.Enqueue(PduCodec.Encode(response));
        return Interlocked.Exchange(ref responding, 1) == 0 ? WriteResponsesAsync() : Task.CompletedTask;
    }

    private async Task WriteResponsesAsync()
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        while (true)
        {
            while (responses.TryDequeue(out var bytes))
            {
                buffer.Write(bytes);
            }

            if (buffer.WrittenCount > 0)
            {
                try
                {
                    await WriteAsync(buffer.WrittenMemory);
                }
                catch (Exception exception) when (exception is IOException or ObjectDisposedException or OperationCanceledException)
                {
                    responses.Clear();
                    Volatile.Write(ref responding, 0);
                    await CloseAsync("write failed");
                    return;
                }

                buffer.ResetWrittenCount();
            }

            // Hand over, then look again: a response queued after the last dequeue and before the
            // hand-over would otherwise wait for the next one.
            Volatile.Write(ref responding, 0);
            if (responses.IsEmpty || Interlocked.Exchange(ref responding, 1) != 0)
            {
                return;
            }
        }
    }

    private async Task ReadLoopAsync()
    {
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        var reason = "closed by the SMSC";
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(closing.Token);
                var buffer = result.Buffer;
                var stop = false;
                while (!stop)
                {
                    switch (PduCodec.TryReadFrame(ref buffer, out var frame))
                    {
                        case FrameResult.NeedMore:
                            stop = true;
                            break;
                        case FrameResult.BadLength:
                            reason = "a PDU's command_length was out of bounds";
                            LogBadLength(Bind);
                            reader.AdvanceTo(buffer.Start, buffer.End);
                            return;
                        default:
                            Interlocked.Exchange(ref lastReceived, time.GetTimestamp());
                            Handle(PduCodec.Decode(frame));
                            break;
                    }
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            reason = "closing";
        }
        catch (Exception exception) when (exception is IOException or ObjectDisposedException or System.Security.Authentication.AuthenticationException)
        {
            reason = $"read failed ({exception.GetType().Name})";
        }
        finally
        {
            await reader.CompleteAsync();
            await CloseAsync(reason);
        }
    }

    private void Handle(DecodeResult decoded)
    {
        var header = decoded.Header;
        var isResponse = (header.CommandId & 0x8000_0000u) != 0;
        if (decoded.Pdu is not { } pdu)
        {
            if (isResponse)
            {
                // An answer we cannot read still answers its request: a failure of unknown kind.
                Answer(header.Sequence, new SmppResponse(null, header.Status != 0 ? header.Status : decoded.ErrorStatus, SmppFailure.None));
            }
            else
            {
                LogMalformed(Bind, header.CommandId, CommandStatus.Name(decoded.ErrorStatus));
                _ = RespondAsync(new GenericNack { Status = decoded.ErrorStatus, Sequence = header.Sequence });
            }

            return;
        }

        switch (pdu)
        {
            case GenericNack nack:
                LogNacked(Bind, nack.Sequence, CommandStatus.Name(nack.Status));
                Answer(nack.Sequence, new SmppResponse(nack, nack.Status == 0 ? CommandStatus.SystemError : nack.Status, SmppFailure.None));
                break;
            case EnquireLink:
                _ = RespondAsync(new EnquireLinkResp { Sequence = pdu.Sequence });
                break;
            case Unbind:
                LogUnbindReceived(Bind);
                IsBound = false;
                _ = RespondThenCloseAsync(new UnbindResp { Sequence = pdu.Sequence });
                break;
            case DeliverSm or DataSm:
                Track(HandleInboundAsync(pdu));
                break;
            default:
                if (isResponse)
                {
                    Answer(pdu.Sequence, new SmppResponse(pdu, pdu.Status, SmppFailure.None));
                }
                else
                {
                    // A request an ESME does not take (submit_sm, bind, ...) from the SMSC.
                    _ = RespondAsync(new GenericNack { Status = CommandStatus.InvalidCommandId, Sequence = pdu.Sequence });
                }

                break;
        }
    }

    private async Task RespondThenCloseAsync(Pdu response)
    {
        // Written directly, not queued: the connection closes right after it.
        try
        {
            await WriteAsync(PduCodec.Encode(response));
        }
        catch (Exception exception) when (exception is IOException or ObjectDisposedException or OperationCanceledException)
        {
        }

        await CloseAsync("unbound by the SMSC");
    }

    private void Track(Task work)
    {
        inboundWork.TryAdd(work, 0);
        _ = work.ContinueWith(static (done, state) => ((ConcurrentDictionary<Task, byte>)state!).TryRemove(done, out _), inboundWork, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task HandleInboundAsync(Pdu request)
    {
        uint status;
        try
        {
            status = await inbound.HandleAsync(request, Bind, CancellationToken.None);
        }
        catch (Exception exception)
        {
            // Not recorded: a transient error has the SMSC deliver it again.
            LogInboundFailed(exception, Bind);
            status = CommandStatus.SystemError;
        }

        Pdu response = request is DataSm
            ? new DataSmResp(string.Empty) { Status = status, Sequence = request.Sequence }
            : new DeliverSmResp { Status = status, Sequence = request.Sequence };
        await RespondAsync(response);
    }

    private void Answer(uint sequenceNumber, SmppResponse response)
    {
        if (!pending.TryRemove(sequenceNumber, out var entry))
        {
            LogUnexpectedResponse(Bind, sequenceNumber);
            return;
        }

        if (entry.Windowed)
        {
            window.Release();
        }

        entry.Request.Complete(response);
    }

    private async Task SweepLoopAsync(CancellationToken token)
    {
        var interval = TimeSpan.FromTicks(Math.Clamp(options.ResponseTimeout.Ticks / 10, TimeSpan.FromMilliseconds(10).Ticks, MaxSweepInterval.Ticks));
        try
        {
            while (!token.IsCancellationRequested)
            {
                await Task.Delay(interval, time, token);
                var now = time.GetTimestamp();
                var expired = 0;
                foreach (var (sequenceNumber, entry) in pending)
                {
                    if (entry.Deadline <= now && pending.TryRemove(sequenceNumber, out var removed))
                    {
                        expired++;
                        if (removed.Windowed)
                        {
                            window.Release();
                        }

                        removed.Request.Complete(SmppResponse.Failed(SmppFailure.Timeout));
                    }
                }

                if (expired > 0)
                {
                    LogTimedOut(Bind, expired, options.ResponseTimeout);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task EnquireLoopAsync(CancellationToken token)
    {
        var interval = options.EnquireLinkInterval;
        try
        {
            while (!token.IsCancellationRequested)
            {
                var idle = time.GetElapsedTime(Interlocked.Read(ref lastReceived));
                if (idle < interval)
                {
                    await Task.Delay(interval - idle, time, token);
                    continue;
                }

                var answer = await SendRequestAsync(new EnquireLink());
                if (!answer.IsAnswered && !token.IsCancellationRequested)
                {
                    LogEnquireUnanswered(Bind, answer.Failure);
                    await CloseAsync("enquire_link unanswered");
                    return;
                }

                // An answer is traffic: the next check is a full interval away.
                Interlocked.Exchange(ref lastReceived, time.GetTimestamp());
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task CloseAsync(string reason)
    {
        if (Interlocked.Exchange(ref closeStarted, 1) != 0)
        {
            return;
        }

        IsBound = false;
        await closing.CancelAsync();
        try
        {
            await stream.DisposeAsync();
        }
        catch (Exception exception) when (exception is IOException or ObjectDisposedException)
        {
        }

        foreach (var sequenceNumber in pending.Keys)
        {
            if (pending.TryRemove(sequenceNumber, out var entry))
            {
                if (entry.Windowed)
                {
                    window.Release();
                }

                entry.Request.Complete(SmppResponse.Failed(SmppFailure.ConnectionLost));
            }
        }

        closed.TrySetResult(reason);
    }

    private uint NextSequence()
    {
        // 1 to 0x7FFFFFFF, then round again (SMPP 3.4 section 5.1.4).
        var next = (uint)Interlocked.Increment(ref sequence) & 0x7FFF_FFFFu;
        return next == 0 ? (uint)Interlocked.Increment(ref sequence) & 0x7FFF_FFFFu : next;
    }

    private long Deadline() => time.GetTimestamp() + (long)(options.ResponseTimeout.TotalSeconds * time.TimestampFrequency);

    private readonly record struct Pending(SmppRequest Request, long Deadline, bool Windowed);

    [LoggerMessage(LogLevel.Warning, "SMPP bind {Bind}: a PDU's command_length was out of bounds; closing the connection")]
    private partial void LogBadLength(int bind);

    [LoggerMessage(LogLevel.Warning, "SMPP bind {Bind}: malformed or unknown PDU (command_id 0x{CommandId:x8}) answered with generic_nack {Status}")]
    private partial void LogMalformed(int bind, uint commandId, string status);

    [LoggerMessage(LogLevel.Warning, "SMPP bind {Bind}: request {Sequence} answered with generic_nack {Status}")]
    private partial void LogNacked(int bind, uint sequence, string status);

    [LoggerMessage(LogLevel.Debug, "SMPP bind {Bind}: response to unknown or expired request {Sequence} ignored")]
    private partial void LogUnexpectedResponse(int bind, uint sequence);

    [LoggerMessage(LogLevel.Information, "SMPP bind {Bind}: the SMSC unbound; answering and reconnecting")]
    private partial void LogUnbindReceived(int bind);

    [LoggerMessage(LogLevel.Information, "SMPP bind {Bind}: unbound ({How})")]
    private partial void LogUnbound(int bind, string how);

    [LoggerMessage(LogLevel.Error, "SMPP bind {Bind}: a deliver_sm could not be recorded; answered with a transient error so the SMSC delivers it again")]
    private partial void LogInboundFailed(Exception exception, int bind);

    [LoggerMessage(LogLevel.Warning, "SMPP bind {Bind}: {Count} requests unanswered after {Timeout}; their outcome is unknown")]
    private partial void LogTimedOut(int bind, int count, TimeSpan timeout);

    [LoggerMessage(LogLevel.Warning, "SMPP bind {Bind}: enquire_link not answered ({Failure}); reconnecting")]
    private partial void LogEnquireUnanswered(int bind, SmppFailure failure);
}
