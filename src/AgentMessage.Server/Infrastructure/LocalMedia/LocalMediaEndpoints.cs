using System.Buffers;
using AgentMessage.Core.Media;
using AgentMessage.Core.Refusals;
using AgentMessage.Server.Edge;
using AgentMessage.Server.Edge.Rest;
using Microsoft.Net.Http.Headers;

namespace AgentMessage.Server.Infrastructure.LocalMedia;

/// <summary>The URLs <see cref="LocalMediaStore"/> signs: PUT to upload once, GET for carriers.</summary>
public static class LocalMediaEndpoints
{
    public static void MapLocalMediaEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPut(LocalMediaStore.RoutePrefix + "/{organizationId}/{mediaId:guid}", UploadAsync);
        app.MapGet(LocalMediaStore.RoutePrefix + "/{organizationId}/{mediaId:guid}", FetchAsync);
    }

    private static async Task UploadAsync(HttpContext context, string organizationId, Guid mediaId, LocalMediaStore store)
    {
        var query = context.Request.Query;
        var id = mediaId.ToString("D");
        var type = query["type"].ToString();
        if (!long.TryParse(query["expires"], out var expires) || !long.TryParse(query["size"], out var size) ||
            !store.IsValid("PUT", organizationId, id, expires, type, size, query["signature"]))
        {
            await RestEnvelope.WriteErrorAsync(context, RefusalKind.Forbidden, "upload URL is invalid or has expired", null);
            return;
        }

        if (!MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var sent) || !sent.MediaType.Equals(type, StringComparison.OrdinalIgnoreCase))
        {
            await RestEnvelope.WriteErrorAsync(context, RefusalKind.BadRequest, $"Content-Type must be {type}", null);
            return;
        }

        var path = store.PathOf(organizationId, id);
        if (File.Exists(path))
        {
            await RestEnvelope.WriteErrorAsync(context, RefusalKind.MediaAlreadyUploaded, RefusalKind.MediaAlreadyUploaded.DefaultMessage, null);
            return;
        }

        if (context.Request.ContentLength is { } declared && declared != size)
        {
            await RestEnvelope.WriteErrorAsync(context, RefusalKind.BadRequest, $"body must be exactly {size} bytes", null);
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var partial = $"{path}.{Guid.NewGuid():N}.partial";
        try
        {
            long written;
            await using (var file = File.Create(partial))
            {
                written = await CopyAtMostAsync(context.Request, file, size + 1, context.RequestAborted);
            }

            if (written != size)
            {
                await RestEnvelope.WriteErrorAsync(context, RefusalKind.BadRequest, $"body must be exactly {size} bytes", null);
                return;
            }

            try
            {
                // The rename is the single-use guarantee: only one upload can take the name.
                File.Move(partial, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                await RestEnvelope.WriteErrorAsync(context, RefusalKind.MediaAlreadyUploaded, RefusalKind.MediaAlreadyUploaded.DefaultMessage, null);
                return;
            }
        }
        finally
        {
            File.Delete(partial);
        }

        await RestEnvelope.WriteSuccessAsync(context, StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("media_id", id);
            writer.WriteString("mime_type", type);
            writer.WriteNumber("byte_size", size);
            writer.WriteEndObject();
        });
    }

    private static async Task FetchAsync(HttpContext context, string organizationId, Guid mediaId, LocalMediaStore store, IMediaCatalog catalog)
    {
        var id = mediaId.ToString("D");
        var query = context.Request.Query;
        var media = long.TryParse(query["expires"], out var expires) && store.IsValid("GET", organizationId, id, expires, string.Empty, 0, query["signature"])
            ? await catalog.GetAsync(organizationId, id, context.RequestAborted)
            : null;
        var path = store.PathOf(organizationId, id);
        if (media is null || !File.Exists(path))
        {
            await RestEnvelope.WriteErrorAsync(context, RefusalKind.NotFound, "media not found", null);
            return;
        }

        // Served with the type it was uploaded as, and never another one a browser guesses from the bytes.
        context.Response.ContentType = media.MimeType;
        context.Response.Headers.XContentTypeOptions = "nosniff";
        await context.Response.SendFileAsync(path, context.RequestAborted);
    }

    /// <summary>Copies up to <paramref name="limit"/> bytes and returns how many came, so an oversized body is never read whole.</summary>
    private static async Task<long> CopyAtMostAsync(HttpRequest source, Stream destination, long limit, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            long total = 0;
            while (total < limit)
            {
                int read;
                try
                {
                    read = await source.Body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, limit - total)), cancellationToken);
                }
                catch (Exception exception) when (RequestBodyFailure.OfRead(exception, source.HttpContext) is { } unreadable)
                {
                    // Only the reads: a failure to write the file is ours, not the client's.
                    throw new RefusalException(unreadable);
                }

                if (read == 0)
                {
                    break;
                }

                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                total += read;
            }

            return total;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
