using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi.Models;

namespace Customs.Ledger.Node.Services;

/// <summary>
/// The client API as REST: gRPC JSON transcoding of the routes in the protos' <c>google.api.http</c> options (the same
/// services, interceptors, credentials and roles as gRPC; errors as HTTP status codes with a JSON <c>google.rpc.Status</c>
/// body), described by an OpenAPI document at <c>/openapi/v1.json</c>. Bytes fields (a document's XML) are base64 in JSON.
/// </summary>
public static class RestApi
{
    /// <summary>Where the OpenAPI document is served.</summary>
    public const string OpenApiPath = "/openapi/v1.json";

    /// <summary>
    /// JSON transcoding settings: the status details the node attaches to refusals (<see cref="GrpcErrors"/>) must be known
    /// to the JSON writer, or a refused document would come back as a 500 instead of a 400 with its DocumentError.
    /// </summary>
    public static void Configure(Microsoft.AspNetCore.Grpc.JsonTranscoding.GrpcJsonTranscodingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.TypeRegistry = Google.Protobuf.Reflection.TypeRegistry.FromMessages(Api.V1.DocumentError.Descriptor, Google.Rpc.BadRequest.Descriptor);
    }

    public static void Add(IServiceCollection services)
    {
        services.AddGrpcSwagger();
        services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "Customs.Ledger node client API",
                Version = "v1",
                Description = "REST mapping of the gRPC client API (protos/customs/ledger/v1). Authenticate with 'Authorization: Bearer <token>' or a client certificate.",
            });
            o.AddSecurityDefinition("bearer", new OpenApiSecurityScheme { Type = SecuritySchemeType.Http, Scheme = "bearer", BearerFormat = "JWT" });
            o.AddSecurityRequirement(new OpenApiSecurityRequirement
            {
                [new OpenApiSecurityScheme { Reference = new OpenApiReference { Type = ReferenceType.SecurityScheme, Id = "bearer" } }] = [],
            });
        });
    }

    /// <summary>
    /// Largest HTTP request body that is not gRPC, for <paramref name="maxMessageBytes"/> per document: one document in
    /// base64 (4/3 of its size) plus 64 KiB for the rest of the JSON. JSON transcoding reads a whole body before the
    /// handler sees it, so without this a 120 MB body was read into memory (600 MB peak) before the document limit
    /// refused it; now Kestrel answers 413 as soon as the body passes the limit. gRPC calls keep their own limits
    /// (per message, length-prefixed, and per stream).
    /// </summary>
    public static long MaxJsonBodyBytes(int maxMessageBytes) => ((maxMessageBytes + 2L) / 3 * 4) + (64 * 1024);

    public static void Map(WebApplication app, int maxMessageBytes)
    {
        ArgumentNullException.ThrowIfNull(app);
        var limit = MaxJsonBodyBytes(maxMessageBytes);
        app.Use((http, next) =>
        {
            if (http.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) != true
                && http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } body)
            {
                body.MaxRequestBodySize = limit;
            }

            return next(http);
        });
        app.UseSwagger(o => o.RouteTemplate = "openapi/{documentName}.json");
    }
}
