using Microsoft.AspNetCore.Builder;
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

    public static void Map(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseSwagger(o => o.RouteTemplate = "openapi/{documentName}.json");
    }
}
